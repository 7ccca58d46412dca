"""The ``/v1/people`` and ``/v1/privacy`` routes: consent, memory, export, erasure, policy.

Who may call what:

- **public key** (the widget, in the person's page): read and change the person's consent,
  see what is remembered about them and delete it one fact at a time. These are the controls
  the person must have at hand; they reveal no more than a public key already can (it answers
  and records events for any user id it is given).
- **admin key** (the operator's back office): export everything about a person, erase them,
  read erasure receipts, set the workspace's retention periods and consent defaults. Export
  and erasure are whole-record operations that must follow the operator's own identity checks,
  so they never sit behind a key that is shipped in a web page.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request
from pydantic import BaseModel, ConfigDict, Field
from starlette.responses import Response

from tastemaker.api.auth import AdminKey, AnyKey, Caller
from tastemaker.api.models import ErrorOut
from tastemaker.api.routes import get_engine, json_response
from tastemaker.privacy import Privacy
from tastemaker.store import editorial
from tastemaker.store.privacy import subject_hash

UserId = Annotated[str, Path(min_length=1, max_length=128, description="The person's user id.")]

_ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"model": ErrorOut, "description": "No API key, or an unknown one."},
    404: {"model": ErrorOut, "description": "No such preference or receipt."},
    422: {"model": ErrorOut, "description": "Invalid input; `error.field` names it."},
}
_ADMIN_ERRORS = {**_ERRORS, 403: {"model": ErrorOut, "description": "Needs an admin key."}}


class ConsentIn(BaseModel):
    """Consent changes: purpose -> granted. Purposes: history, memory, marketing."""

    model_config = ConfigDict(extra="forbid")

    consent: dict[str, bool] = Field(examples=[{"memory": True, "marketing": False}])
    source: str | None = Field(
        None,
        pattern=r"^[A-Za-z0-9_.:-]{1,64}$",
        description="Where the person said it; defaults to 'widget' (public key) or 'api'.",
    )


class PolicyIn(BaseModel):
    """Retention periods in days (null: keep until erased) and consent defaults."""

    model_config = ConfigDict(extra="forbid")

    events_days: int | None = Field(None, ge=1)
    answers_days: int | None = Field(None, ge=1)
    memory_days: int | None = Field(None, ge=1)
    default_history: bool | None = None
    default_memory: bool | None = None
    default_marketing: bool | None = None


def _privacy(request: Request) -> Privacy:
    return get_engine(request).privacy


router = APIRouter(prefix="/v1", tags=["privacy"])


@router.get("/people/{user_id}/consent", response_model=None, responses=_ERRORS)
def get_consent(request: Request, user_id: UserId, caller: AnyKey) -> Response:
    """Where the person stands on each purpose, and since when ("default" if never asked)."""
    return json_response({"consent": _privacy(request).consent(caller.workspace, user_id)})


@router.put("/people/{user_id}/consent", response_model=None, responses=_ERRORS)
def put_consent(request: Request, user_id: UserId, body: ConsentIn, caller: AnyKey) -> Response:
    """Record consent changes; withdrawing memory deletes what was remembered."""
    source = body.source or ("api" if caller.is_admin else "widget")
    state = _privacy(request).set_consent(caller.workspace, user_id, body.consent, source=source)
    return json_response({"consent": state})


@router.get("/people/{user_id}/memory", response_model=None, responses=_ERRORS)
def get_memory(request: Request, user_id: UserId, caller: AnyKey) -> Response:
    """What we remember about the person: each fact, where it was heard, when it expires."""
    prefs = _privacy(request).memory(caller.workspace, user_id)
    return json_response({"remembered": [p.to_json() for p in prefs]})


@router.delete("/people/{user_id}/memory/{preference_id}", response_model=None, responses=_ERRORS)
def delete_memory(
    request: Request,
    user_id: UserId,
    preference_id: Annotated[int, Path(ge=1)],
    caller: AnyKey,
) -> Response:
    """Forget one remembered fact."""
    _privacy(request).forget(caller.workspace, user_id, preference_id)
    return json_response({"forgotten": preference_id})


@router.get("/people/{user_id}/export", response_model=None, responses=_ADMIN_ERRORS)
def export_person(request: Request, user_id: UserId, caller: AdminKey) -> Response:
    """Everything held about the person, as one JSON document (admin)."""
    out = _privacy(request).export(caller.workspace, user_id)
    _audit(request, caller, "export person", user_id, {})
    return json_response(out)


def _audit(
    request: Request, caller: Caller, action: str, user_id: str, detail: dict[str, Any]
) -> None:
    """Who read or erased whose data, the person named only by the receipts' subject hash."""
    engine = get_engine(request)
    ws_id = engine.workspace(caller.workspace).id
    subject = subject_hash(ws_id, user_id)
    editorial.record_audit(
        engine.store, ws_id, caller.actor, action, f"subject:{subject[:16]}", detail
    )


@router.delete("/people/{user_id}", response_model=None, responses=_ADMIN_ERRORS)
def erase_person(
    request: Request,
    user_id: UserId,
    caller: AdminKey,
    refit: Annotated[bool, Query(description="Refit the model without them.")] = True,
) -> Response:
    """Erase the person everywhere; returns the receipt (admin)."""
    out = _privacy(request).erase(caller.workspace, user_id, refit=refit)
    detail = {"receipt_id": out["receipt_id"], "tables": out["tables"]}
    _audit(request, caller, "erase person", user_id, detail)
    return json_response(out)


@router.get("/privacy/erasures/{receipt_id}", response_model=None, responses=_ADMIN_ERRORS)
def get_receipt(
    request: Request, receipt_id: Annotated[str, Path(max_length=32)], caller: AdminKey
) -> Response:
    """An erasure receipt: when, what was removed (the person only as a keyed hash) (admin)."""
    return json_response(_privacy(request).receipt(caller.workspace, receipt_id))


@router.get("/privacy/policy", response_model=None, responses=_ADMIN_ERRORS)
def get_policy(request: Request, caller: AdminKey) -> Response:
    """The workspace's retention periods and consent defaults (admin)."""
    return json_response(_privacy(request).policy(caller.workspace).to_json())


@router.put("/privacy/policy", response_model=None, responses=_ADMIN_ERRORS)
def put_policy(request: Request, body: PolicyIn, caller: AdminKey) -> Response:
    """Change retention periods or consent defaults; fields left out keep their value (admin)."""
    changes: dict[str, Any] = body.model_dump(exclude_unset=True)
    if changes.get("memory_days", 0) is None:
        del changes["memory_days"]
    for key in ("default_history", "default_memory", "default_marketing"):
        if key in changes and changes[key] is None:
            del changes[key]
    return json_response(_privacy(request).set_policy(caller.workspace, **changes).to_json())
