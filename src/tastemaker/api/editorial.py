"""Admin routes for editorial control: review queue, brand kit, versions, rollback, audit log.

Every route needs an admin key; the key's id (a prefix of its SHA-256) is the ``actor`` of each
change in the audit log. Like the other routes, these only parse, call the library and
serialize; errors are raised for the one handler in :mod:`tastemaker.api.errors`.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal, get_args

from fastapi import APIRouter, Path, Query, Request
from pydantic import BaseModel, ConfigDict, Field
from starlette.responses import Response

from tastemaker.api.auth import AdminKey, Caller
from tastemaker.api.routes import _ADMIN_ERRORS, get_engine, json_response
from tastemaker.brandkit import BrandKit
from tastemaker.editorial import BRAND_KIT_KEY
from tastemaker.errors import InvalidInput, NotFound
from tastemaker.experiences import ALL_CHECKS
from tastemaker.guardrails.topics import SensitiveTopic
from tastemaker.pipeline import guard
from tastemaker.pipeline.guard import MAX_CTA, MAX_DESCRIPTION, MAX_TITLE
from tastemaker.store import editorial as db
from tastemaker.types import CopyText

router = APIRouter(prefix="/v1", tags=["editorial"], responses=_ADMIN_ERRORS)

ReviewId = Annotated[int, Path(ge=1, description="The review item's id.")]
AssetKind = Literal["experience", "brand_kit", "template"]


class EditIn(BaseModel):
    """The editor's own words, approved as they are."""

    model_config = ConfigDict(extra="forbid")

    title: str = Field(min_length=1, max_length=MAX_TITLE)
    description: str = Field(min_length=1, max_length=MAX_DESCRIPTION)
    cta: str = Field(min_length=1, max_length=MAX_CTA)


class RollbackIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    kind: AssetKind
    key: str = Field(min_length=1, max_length=64)
    to: int = Field(ge=1, description="The version to make current again.")


def _ws(request: Request, caller: Caller) -> int:
    return get_engine(request).workspace(caller.workspace).id


@router.get("/review", response_model=None)
def list_review(
    request: Request,
    caller: AdminKey,
    status: Annotated[Literal["pending", "approved", "rejected"], Query()] = "pending",
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> Response:
    """Copy waiting for an editor (or already decided), oldest first."""
    rows = db.list_reviews(
        get_engine(request).store, _ws(request, caller), status=status, limit=limit
    )
    return json_response({"items": [r.public() for r in rows]})


def _decide(
    request: Request,
    caller: Caller,
    review_id: int,
    status: Literal["approved", "rejected"],
    final: dict[str, Any] | None = None,
) -> Response:
    engine = get_engine(request)
    ws_id = _ws(request, caller)
    rec = db.decide_review(engine.store, ws_id, review_id, status, actor=caller.actor, final=final)
    engine.editorial.invalidate(ws_id)
    return json_response(rec.public())


@router.post("/review/{review_id}/approve", response_model=None)
def approve(request: Request, review_id: ReviewId, caller: AdminKey) -> Response:
    """Approve the copy as written; the same answer gets it from now on."""
    return _decide(request, caller, review_id, "approved")


@router.post("/review/{review_id}/edit", response_model=None)
def edit(request: Request, review_id: ReviewId, body: EditIn, caller: AdminKey) -> Response:
    """Approve the editor's own version of the copy, once it passes the brand's guardrails.

    An editor's words are served as they are from then on, so they get the same hard checks
    (banned words and claims, competitors, content checks) the guard stage gives written copy:
    a failing edit is refused with the field and the term, instead of being approved here and
    swapped for the safe copy at serving time.
    """
    engine = get_engine(request)
    ws_id = _ws(request, caller)
    rec = db.get_review(engine.store, ws_id, review_id)
    if rec is None:
        raise NotFound(f"no review item {review_id}")
    try:
        base = engine.get_experience(caller.workspace, rec.experience_key)
    except NotFound:
        base = None  # the experience is gone: nothing left to check the words against
    if base is not None:
        spec = engine.editorial.effective_spec(ws_id, base)
        found = guard.check(CopyText(body.title, body.description, body.cta), spec)
        if found:
            v = found[0]
            what = v.kind.replace("_", " ")
            raise InvalidInput(f"{what} {v.term!r}: the brand kit does not allow it", field=v.field)
    return _decide(request, caller, review_id, "approved", body.model_dump())


@router.get("/guardrails", response_model=None)
def guardrails(request: Request, caller: AdminKey) -> Response:
    """Each experience's content checks and the sensitive topics it may write about (admin).

    The brand kit holds the words; which checks run and which topics are allowed is declared
    per experience (``guardrails`` in its spec), so this is the overview of both.
    """
    specs = get_engine(request).list_experiences(caller.workspace)
    return json_response(
        {
            "sensitive_topics": list(get_args(SensitiveTopic)),
            "checks": list(ALL_CHECKS),
            "experiences": [
                {"key": s.key, "name": s.name, **s.guardrails.model_dump(mode="json")}
                for s in specs
            ],
        }
    )


@router.post("/review/{review_id}/reject", response_model=None)
def reject(request: Request, review_id: ReviewId, caller: AdminKey) -> Response:
    """Reject the copy; the answer keeps getting freshly written copy."""
    return _decide(request, caller, review_id, "rejected")


@router.get("/brand-kit", response_model=None)
def get_brand_kit(request: Request, caller: AdminKey) -> Response:
    """The workspace's current brand kit and its version."""
    rec = db.get_version(
        get_engine(request).store, _ws(request, caller), "brand_kit", BRAND_KIT_KEY
    )
    if rec is None:
        raise NotFound("this workspace has no brand kit yet")
    return json_response({"version": rec.version, "brand_kit": rec.body})


@router.put("/brand-kit", response_model=None)
def put_brand_kit(request: Request, kit: BrandKit, caller: AdminKey) -> Response:
    """Save the brand kit; a changed kit becomes a new version."""
    engine = get_engine(request)
    ws_id = _ws(request, caller)
    version = db.save_version(
        engine.store,
        ws_id,
        "brand_kit",
        BRAND_KIT_KEY,
        kit.model_dump(mode="json", exclude_defaults=True),
        actor=caller.actor,
    )
    engine.invalidate_specs(caller.workspace)  # answers from now on are written under it
    return json_response({"version": version})


@router.get("/versions/{kind}/{key}", response_model=None)
def versions(request: Request, kind: AssetKind, key: str, caller: AdminKey) -> Response:
    """Every saved version of an experience, brand kit or template, newest first."""
    rows = db.list_versions(get_engine(request).store, _ws(request, caller), kind, key)
    if not rows:
        raise NotFound(f"no {kind} {key!r}")
    return json_response(
        {
            "versions": [
                {
                    "version": r.version,
                    "created_at": r.created_at,
                    "created_by": r.created_by,
                    "body": r.body,
                }
                for r in rows
            ]
        }
    )


@router.post("/rollback", response_model=None)
def rollback(request: Request, body: RollbackIn, caller: AdminKey) -> Response:
    """Make an old version current again (saved as a new version, so it can be undone)."""
    version = get_engine(request).rollback(
        caller.workspace, body.kind, body.key, body.to, actor=caller.actor
    )
    return json_response({"kind": body.kind, "key": body.key, "version": version})


@router.get("/audit", response_model=None)
def audit(
    request: Request,
    caller: AdminKey,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    action: Annotated[str | None, Query(max_length=64)] = None,
    target: Annotated[str | None, Query(max_length=200)] = None,
) -> Response:
    """Who changed what, when: newest first."""
    rows = db.list_audit(
        get_engine(request).store, _ws(request, caller), limit=limit, action=action, target=target
    )
    return json_response({"entries": [r.public() for r in rows]})
