"""Queries for editorial control: versions of brand kits and templates, review queue, audit log.

Functions over a :class:`~tastemaker.store.Store` rather than more methods on it: the store
module is already long, and these tables belong to one area. Every function that changes
something writes its audit row in the same transaction, so the log cannot miss a change that
happened nor record one that did not.
"""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass
from typing import Any, Literal

from sqlalchemy import Connection, select, update
from sqlalchemy.exc import IntegrityError

from tastemaker.errors import InvalidInput, NotFound
from tastemaker.store.bulk import json_dumps
from tastemaker.store.editorial_models import audit_log, review_queue, versioned_assets
from tastemaker.store.models import experiences
from tastemaker.store.store import Store

AssetKind = Literal["brand_kit", "template"]
ASSET_KINDS: tuple[AssetKind, ...] = ("brand_kit", "template")
ReviewStatus = Literal["pending", "approved", "rejected"]
REVIEW_STATUSES: tuple[ReviewStatus, ...] = ("pending", "approved", "rejected")


@dataclass(frozen=True, slots=True)
class VersionRecord:
    kind: str
    key: str
    version: int
    body: dict[str, Any]
    created_at: float
    created_by: str


@dataclass(frozen=True, slots=True)
class ReviewRecord:
    id: int
    experience_key: str
    answer_key: str
    answer_text: str
    request_id: str
    status: str
    proposed: dict[str, Any]
    final: dict[str, Any] | None
    reasons: list[str]
    created_at: float
    decided_at: float | None
    decided_by: str | None

    def public(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "experience": self.experience_key,
            "answer_key": self.answer_key,
            "answer": self.answer_text,
            "request_id": self.request_id,
            "status": self.status,
            "proposed": self.proposed,
            "final": self.final,
            "reasons": self.reasons,
            "created_at": self.created_at,
            "decided_at": self.decided_at,
            "decided_by": self.decided_by,
        }


@dataclass(frozen=True, slots=True)
class AuditRecord:
    id: int
    actor: str
    action: str
    target: str
    detail: dict[str, Any] | None
    ts: float

    def public(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "actor": self.actor,
            "action": self.action,
            "target": self.target,
            "detail": self.detail,
            "ts": self.ts,
        }


# -- audit -------------------------------------------------------------------------------------


def _audit(
    conn: Connection,
    ws_id: int,
    actor: str,
    action: str,
    target: str,
    detail: dict[str, Any] | None = None,
) -> None:
    conn.execute(
        audit_log.insert().values(
            workspace_id=ws_id,
            actor=actor[:128],
            action=action,
            target=target[:200],
            detail=detail,
            ts=time.time(),
        )
    )


def record_audit(
    store: Store,
    ws_id: int,
    actor: str,
    action: str,
    target: str,
    detail: dict[str, Any] | None = None,
) -> None:
    """Record a change made elsewhere (an experience saved, items loaded, a fit)."""
    with store.engine.begin() as conn:
        _audit(conn, ws_id, actor, action, target, detail)


def list_audit(
    store: Store,
    ws_id: int,
    *,
    limit: int = 100,
    action: str | None = None,
    target: str | None = None,
) -> list[AuditRecord]:
    """The newest changes first."""
    stmt = select(audit_log).where(audit_log.c.workspace_id == ws_id)
    if action:
        stmt = stmt.where(audit_log.c.action == action)
    if target:
        stmt = stmt.where(audit_log.c.target == target)
    stmt = stmt.order_by(audit_log.c.ts.desc(), audit_log.c.id.desc()).limit(limit)
    with store.engine.connect() as conn:
        return [
            AuditRecord(r.id, r.actor, r.action, r.target, r.detail, r.ts)
            for r in conn.execute(stmt)
        ]


# -- versioned assets ----------------------------------------------------------------------------


def _version_record(row: Any) -> VersionRecord:
    return VersionRecord(row.kind, row.key, row.version, row.body, row.created_at, row.created_by)


def save_version(
    store: Store,
    ws_id: int,
    kind: AssetKind,
    key: str,
    body: dict[str, Any],
    *,
    actor: str,
    action: str = "save",
) -> int:
    """Save ``body`` as the next version of ``kind/key``; an unchanged body keeps its version."""
    if kind not in ASSET_KINDS:
        raise InvalidInput(f"unknown kind {kind!r}; one of {', '.join(ASSET_KINDS)}", field="kind")
    body_hash = hashlib.sha256(json_dumps(body).encode()).hexdigest()
    t = versioned_assets.c
    for attempt in range(3):
        try:
            with store.engine.begin() as conn:
                latest = conn.execute(
                    select(t.version, t.body_hash)
                    .where(t.workspace_id == ws_id, t.kind == kind, t.key == key)
                    .order_by(t.version.desc())
                    .limit(1)
                ).first()
                if latest is not None and latest.body_hash == body_hash:
                    return int(latest.version)
                version = 1 if latest is None else int(latest.version) + 1
                conn.execute(
                    versioned_assets.insert().values(
                        workspace_id=ws_id,
                        kind=kind,
                        key=key,
                        version=version,
                        body=body,
                        body_hash=body_hash,
                        created_at=time.time(),
                        created_by=actor[:128],
                    )
                )
                _audit(conn, ws_id, actor, f"{action} {kind}", key, {"version": version})
                return version
        except IntegrityError:
            if attempt == 2:  # a concurrent save took the version number three times
                raise
    raise AssertionError("unreachable")


def get_version(
    store: Store, ws_id: int, kind: str, key: str, version: int | None = None
) -> VersionRecord | None:
    """One version, the latest when ``version`` is None."""
    t = versioned_assets.c
    stmt = select(versioned_assets).where(t.workspace_id == ws_id, t.kind == kind, t.key == key)
    if version is None:
        stmt = stmt.order_by(t.version.desc()).limit(1)
    else:
        stmt = stmt.where(t.version == version)
    with store.engine.connect() as conn:
        row = conn.execute(stmt).first()
    return None if row is None else _version_record(row)


def list_versions(store: Store, ws_id: int, kind: str, key: str) -> list[VersionRecord]:
    """Every version of one asset, newest first (for experiences: their own table)."""
    if kind == "experience":
        e = experiences.c
        stmt = (
            select(e.key, e.version, e.spec, e.created_at)
            .where(e.workspace_id == ws_id, e.key == key)
            .order_by(e.version.desc())
        )
        with store.engine.connect() as conn:
            return [
                VersionRecord("experience", r.key, r.version, r.spec, r.created_at, "")
                for r in conn.execute(stmt)
            ]
    t = versioned_assets.c
    stmt2 = (
        select(versioned_assets)
        .where(t.workspace_id == ws_id, t.kind == kind, t.key == key)
        .order_by(t.version.desc())
    )
    with store.engine.connect() as conn:
        return [_version_record(r) for r in conn.execute(stmt2)]


# -- review queue --------------------------------------------------------------------------------


def _review_record(row: Any) -> ReviewRecord:
    return ReviewRecord(
        id=row.id,
        experience_key=row.experience_key,
        answer_key=row.answer_key,
        answer_text=row.answer_text,
        request_id=row.request_id,
        status=row.status,
        proposed=row.proposed,
        final=row.final,
        reasons=list(row.reasons),
        created_at=row.created_at,
        decided_at=row.decided_at,
        decided_by=row.decided_by,
    )


def enqueue_review(
    store: Store,
    ws_id: int,
    *,
    experience_key: str,
    answer_key: str,
    answer_text: str,
    request_id: str,
    proposed: dict[str, Any],
    reasons: list[str],
) -> bool:
    """Queue copy for an editor; False when this answer is already queued or decided."""
    stmt = (
        store._insert(review_queue)
        .values(
            workspace_id=ws_id,
            experience_key=experience_key,
            answer_key=answer_key,
            answer_text=answer_text[:300],
            request_id=request_id,
            status="pending",
            proposed=proposed,
            final=None,
            reasons=reasons,
            created_at=time.time(),
        )
        .on_conflict_do_nothing()
    )
    with store.engine.begin() as conn:
        return bool(conn.execute(stmt).rowcount)


def list_reviews(
    store: Store, ws_id: int, *, status: str | None = "pending", limit: int = 100
) -> list[ReviewRecord]:
    """Queued copy, oldest first (the order an editor works through it)."""
    if status is not None and status not in REVIEW_STATUSES:
        raise InvalidInput(
            f"unknown status {status!r}; one of {', '.join(REVIEW_STATUSES)}", field="status"
        )
    t = review_queue.c
    stmt = select(review_queue).where(t.workspace_id == ws_id)
    if status is not None:
        stmt = stmt.where(t.status == status)
    stmt = stmt.order_by(t.created_at, t.id).limit(limit)
    with store.engine.connect() as conn:
        return [_review_record(r) for r in conn.execute(stmt)]


def get_review(store: Store, ws_id: int, review_id: int) -> ReviewRecord | None:
    t = review_queue.c
    stmt = select(review_queue).where(t.workspace_id == ws_id, t.id == review_id)
    with store.engine.connect() as conn:
        row = conn.execute(stmt).first()
    return None if row is None else _review_record(row)


def decide_review(
    store: Store,
    ws_id: int,
    review_id: int,
    status: Literal["approved", "rejected"],
    *,
    actor: str,
    final: dict[str, Any] | None = None,
) -> ReviewRecord:
    """Approve (as proposed, or with ``final`` as the editor's version) or reject copy."""
    t = review_queue.c
    with store.engine.begin() as conn:
        row = conn.execute(
            select(review_queue).where(t.workspace_id == ws_id, t.id == review_id)
        ).first()
        if row is None:
            raise NotFound(f"review item {review_id} does not exist")
        kept = None if status == "rejected" else (final or row.proposed)
        action = "edit" if final is not None else ("approve" if kept else "reject")
        now = time.time()
        conn.execute(
            update(review_queue)
            .where(t.id == review_id)
            .values(status=status, final=kept, decided_at=now, decided_by=actor[:128])
        )
        detail: dict[str, Any] = {"experience": row.experience_key, "previous": row.status}
        if final is not None:
            detail["final"] = final
        _audit(conn, ws_id, actor, f"review {action}", f"review:{review_id}", detail)
        row = conn.execute(select(review_queue).where(t.id == review_id)).one()
    return _review_record(row)


def approved_copies(store: Store, ws_id: int) -> dict[tuple[str, str], dict[str, Any]]:
    """(experience key, answer key) -> the approved copy, for reuse at answer time."""
    t = review_queue.c
    stmt = select(t.experience_key, t.answer_key, t.final).where(
        t.workspace_id == ws_id, t.status == "approved"
    )
    with store.engine.connect() as conn:
        return {(r.experience_key, r.answer_key): r.final for r in conn.execute(stmt) if r.final}
