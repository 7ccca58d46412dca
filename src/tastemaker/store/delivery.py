"""Store queries for syndication: endpoints, the delivery queue, receipts, saved prompts.

Works on the :class:`~tastemaker.store.Store`'s engine (all SQL stays in ``store/``). Claims are
optimistic (``UPDATE ... WHERE id = :id AND next_attempt_at = :seen``), which is safe on SQLite
and PostgreSQL alike: when several server workers and a CLI worker poll the same queue, exactly
one of them wins each row, and a worker that dies mid-send only delays the row by its lease.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from sqlalchemy import and_, delete, select, update
from sqlalchemy.exc import IntegrityError

from tastemaker.errors import InvalidInput, NotFound
from tastemaker.store.models import (
    saved_prompts,
    webhook_attempts,
    webhook_deliveries,
    webhook_endpoints,
)
from tastemaker.store.store import Store

Status = Literal["pending", "delivered", "dead"]
Cadence = Literal["daily", "weekly"]


@dataclass(frozen=True, slots=True)
class EndpointRecord:
    id: int
    name: str
    url: str
    channels: list[str]
    secrets: list[str]  # newest first
    active: bool

    def public(self) -> dict[str, Any]:
        """Without the secrets: they are shown once, when made."""
        return {
            "name": self.name,
            "url": self.url,
            "channels": self.channels,
            "active": self.active,
            "signing_keys": len(self.secrets),
        }


@dataclass(frozen=True, slots=True)
class DueDelivery:
    id: int
    msg_id: str
    body: str
    attempts: int
    next_attempt_at: float
    url: str
    secrets: list[str]


@dataclass(frozen=True, slots=True)
class AttemptRecord:
    attempt: int
    at: float
    status_code: int | None
    error: str | None
    duration_ms: float
    response: str | None


@dataclass(frozen=True, slots=True)
class DeliveryRecord:
    msg_id: str
    endpoint: str
    event_type: str
    user_id: str | None
    request_id: str | None
    status: str
    attempts: int
    next_attempt_at: float
    last_status: int | None
    last_error: str | None
    created_at: float
    delivered_at: float | None
    receipts: list[AttemptRecord] = field(default_factory=list)

    def public(self) -> dict[str, Any]:
        return {
            "msg_id": self.msg_id,
            "endpoint": self.endpoint,
            "event_type": self.event_type,
            "request_id": self.request_id,
            "status": self.status,
            "attempts": self.attempts,
            "next_attempt_at": self.next_attempt_at,
            "last_status": self.last_status,
            "last_error": self.last_error,
            "created_at": self.created_at,
            "delivered_at": self.delivered_at,
            "receipts": [
                {
                    "attempt": r.attempt,
                    "at": r.at,
                    "status_code": r.status_code,
                    "error": r.error,
                    "duration_ms": round(r.duration_ms, 3),
                }
                for r in self.receipts
            ],
        }


@dataclass(frozen=True, slots=True)
class SavedPromptRecord:
    id: int
    workspace_id: int
    user_id: str
    experience_key: str
    choice: str | None
    text: str | None
    cadence: str
    next_run_at: float
    last_run_at: float | None
    last_request_id: str | None
    sent_item_ids: list[str]
    active: bool

    def public(self) -> dict[str, Any]:
        return {
            "user_id": self.user_id,
            "experience": self.experience_key,
            "choice": self.choice,
            "cadence": self.cadence,
            "next_run_at": self.next_run_at,
            "last_run_at": self.last_run_at,
            "last_request_id": self.last_request_id,
            "items_sent": len(self.sent_item_ids),
            "active": self.active,
        }


def _endpoint(row: Any) -> EndpointRecord:
    return EndpointRecord(
        id=row.id,
        name=row.name,
        url=row.url,
        channels=list(row.channels),
        secrets=list(row.secrets),
        active=bool(row.active),
    )


def _saved(row: Any) -> SavedPromptRecord:
    return SavedPromptRecord(
        id=row.id,
        workspace_id=row.workspace_id,
        user_id=row.user_id,
        experience_key=row.experience_key,
        choice=row.choice,
        text=row.text,
        cadence=row.cadence,
        next_run_at=row.next_run_at,
        last_run_at=row.last_run_at,
        last_request_id=row.last_request_id,
        sent_item_ids=list(row.sent_item_ids),
        active=bool(row.active),
    )


class DeliveryStore:
    """The syndication rows of one :class:`Store`."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.engine = store.engine

    # -- endpoints ---------------------------------------------------------------------------

    def create_endpoint(
        self, ws_id: int, name: str, url: str, channels: Sequence[str], secret: str, now: float
    ) -> EndpointRecord:
        values = {
            "workspace_id": ws_id,
            "name": name,
            "url": url,
            "channels": list(channels),
            "secrets": [secret],
            "active": True,
            "created_at": now,
        }
        try:
            with self.engine.begin() as conn:
                new_id = conn.execute(
                    webhook_endpoints.insert().values(**values).returning(webhook_endpoints.c.id)
                ).scalar_one()
        except IntegrityError:
            raise InvalidInput(f"a webhook named {name!r} already exists", field="name") from None
        return EndpointRecord(new_id, name, url, list(channels), [secret], True)

    def list_endpoints(self, ws_id: int, *, active_only: bool = False) -> list[EndpointRecord]:
        q = select(webhook_endpoints).where(webhook_endpoints.c.workspace_id == ws_id)
        if active_only:
            q = q.where(webhook_endpoints.c.active)
        with self.engine.connect() as conn:
            return [_endpoint(r) for r in conn.execute(q.order_by(webhook_endpoints.c.name))]

    def get_endpoint(self, ws_id: int, name: str) -> EndpointRecord:
        with self.engine.connect() as conn:
            row = conn.execute(
                select(webhook_endpoints).where(
                    webhook_endpoints.c.workspace_id == ws_id, webhook_endpoints.c.name == name
                )
            ).first()
        if row is None:
            raise NotFound(f"no webhook named {name!r}")
        return _endpoint(row)

    def _set_endpoint(self, ws_id: int, name: str, **values: Any) -> EndpointRecord:
        with self.engine.begin() as conn:
            conn.execute(
                update(webhook_endpoints)
                .where(webhook_endpoints.c.workspace_id == ws_id, webhook_endpoints.c.name == name)
                .values(**values)
            )
        return self.get_endpoint(ws_id, name)

    def rotate_secret(self, ws_id: int, name: str, secret: str) -> EndpointRecord:
        """Sign with ``secret`` too, newest first; the previous keys stay until retired."""
        old = self.get_endpoint(ws_id, name)
        return self._set_endpoint(ws_id, name, secrets=[secret, *old.secrets][:5])

    def retire_secrets(self, ws_id: int, name: str) -> EndpointRecord:
        """Keep only the newest secret: the end of a rotation."""
        old = self.get_endpoint(ws_id, name)
        return self._set_endpoint(ws_id, name, secrets=old.secrets[:1])

    def set_active(self, ws_id: int, name: str, active: bool) -> EndpointRecord:
        self.get_endpoint(ws_id, name)
        return self._set_endpoint(ws_id, name, active=active)

    # -- the queue ---------------------------------------------------------------------------

    def enqueue(self, rows: Sequence[dict[str, Any]], now: float) -> None:
        """Queue deliveries (``workspace_id, endpoint_id, msg_id, event_type, user_id,
        request_id, body``), due at once."""
        if not rows:
            return
        full = [
            {
                **r,
                "status": "pending",
                "attempts": 0,
                "next_attempt_at": now,
                "created_at": now,
            }
            for r in rows
        ]
        with self.engine.begin() as conn:
            conn.execute(webhook_deliveries.insert(), full)

    def due(
        self, now: float, limit: int = 100, workspace_id: int | None = None
    ) -> list[DueDelivery]:
        """Pending deliveries whose time has come, oldest first, of active endpoints (of one
        workspace, or of all)."""
        d, e = webhook_deliveries, webhook_endpoints
        q = (
            select(
                d.c.id,
                d.c.msg_id,
                d.c.body,
                d.c.attempts,
                d.c.next_attempt_at,
                e.c.url,
                e.c.secrets,
            )
            .join(e, e.c.id == d.c.endpoint_id)
            .where(d.c.status == "pending", d.c.next_attempt_at <= now, e.c.active)
            .order_by(d.c.next_attempt_at, d.c.id)
            .limit(limit)
        )
        if workspace_id is not None:
            q = q.where(d.c.workspace_id == workspace_id)
        with self.engine.connect() as conn:
            return [
                DueDelivery(
                    r.id, r.msg_id, r.body, r.attempts, r.next_attempt_at, r.url, list(r.secrets)
                )
                for r in conn.execute(q)
            ]

    def claim(self, delivery: DueDelivery, lease_until: float) -> bool:
        """Take ``delivery`` for one attempt; False when another worker took it first."""
        d = webhook_deliveries
        with self.engine.begin() as conn:
            n = conn.execute(
                update(d)
                .where(
                    d.c.id == delivery.id,
                    d.c.status == "pending",
                    d.c.next_attempt_at == delivery.next_attempt_at,
                )
                .values(next_attempt_at=lease_until)
            ).rowcount
        return n == 1

    def finish_attempt(
        self,
        delivery_id: int,
        receipt: AttemptRecord,
        *,
        status: Status,
        next_attempt_at: float,
    ) -> None:
        """Store the receipt of one attempt and the delivery's new state, in one transaction."""
        values: dict[str, Any] = {
            "status": status,
            "attempts": receipt.attempt,
            "next_attempt_at": next_attempt_at,
            "last_status": receipt.status_code,
            "last_error": receipt.error,
        }
        if status == "delivered":
            values["delivered_at"] = receipt.at
        with self.engine.begin() as conn:
            conn.execute(
                webhook_attempts.insert().values(
                    delivery_id=delivery_id,
                    attempt=receipt.attempt,
                    at=receipt.at,
                    status_code=receipt.status_code,
                    error=receipt.error,
                    duration_ms=receipt.duration_ms,
                    response=receipt.response,
                )
            )
            conn.execute(
                update(webhook_deliveries)
                .where(webhook_deliveries.c.id == delivery_id)
                .values(**values)
            )

    def list_deliveries(
        self, ws_id: int, *, status: str | None = None, limit: int = 100
    ) -> list[DeliveryRecord]:
        return self._deliveries(ws_id, status=status, limit=limit, receipts=False)

    def get_delivery(self, ws_id: int, msg_id: str) -> DeliveryRecord:
        found = self._deliveries(ws_id, msg_id=msg_id, limit=1, receipts=True)
        if not found:
            raise NotFound(f"no delivery {msg_id!r}")
        return found[0]

    def _deliveries(
        self,
        ws_id: int,
        *,
        status: str | None = None,
        msg_id: str | None = None,
        limit: int,
        receipts: bool,
    ) -> list[DeliveryRecord]:
        d, e, a = webhook_deliveries, webhook_endpoints, webhook_attempts
        q = (
            select(d, e.c.name.label("endpoint"))
            .join(e, e.c.id == d.c.endpoint_id)
            .where(d.c.workspace_id == ws_id)
        )
        if status is not None:
            q = q.where(d.c.status == status)
        if msg_id is not None:
            q = q.where(d.c.msg_id == msg_id)
        out: list[DeliveryRecord] = []
        with self.engine.connect() as conn:
            for r in conn.execute(q.order_by(d.c.id.desc()).limit(limit)):
                rec: list[AttemptRecord] = []
                if receipts:
                    rec = [
                        AttemptRecord(
                            x.attempt, x.at, x.status_code, x.error, x.duration_ms, x.response
                        )
                        for x in conn.execute(
                            select(a).where(a.c.delivery_id == r.id).order_by(a.c.attempt)
                        )
                    ]
                out.append(
                    DeliveryRecord(
                        msg_id=r.msg_id,
                        endpoint=r.endpoint,
                        event_type=r.event_type,
                        user_id=r.user_id,
                        request_id=r.request_id,
                        status=r.status,
                        attempts=r.attempts,
                        next_attempt_at=r.next_attempt_at,
                        last_status=r.last_status,
                        last_error=r.last_error,
                        created_at=r.created_at,
                        delivered_at=r.delivered_at,
                        receipts=rec,
                    )
                )
        return out

    def replay(self, ws_id: int, msg_ids: Sequence[str] | None, now: float) -> int:
        """Put dead letters back in the queue (all of them when ``msg_ids`` is None).

        The attempt count starts over so the retry schedule does too; the receipts of the
        earlier attempts are kept, so the history of the message stays readable.
        """
        d = webhook_deliveries
        cond = and_(d.c.workspace_id == ws_id, d.c.status == "dead")
        if msg_ids is not None:
            if not msg_ids:
                return 0
            cond = and_(cond, d.c.msg_id.in_(list(msg_ids)))
        with self.engine.begin() as conn:
            return int(
                conn.execute(
                    update(d).where(cond).values(status="pending", attempts=0, next_attempt_at=now)
                ).rowcount
            )

    # -- saved prompts -----------------------------------------------------------------------

    def save_prompt(
        self,
        ws_id: int,
        user_id: str,
        experience_key: str,
        *,
        choice: str | None,
        text: str | None,
        cadence: Cadence,
        next_run_at: float,
        now: float,
    ) -> SavedPromptRecord:
        """Create or replace the person's saved prompt for this experience (what they sent
        before is kept, so a changed answer still does not repeat items)."""
        sp = saved_prompts
        key = and_(
            sp.c.workspace_id == ws_id,
            sp.c.user_id == user_id,
            sp.c.experience_key == experience_key,
        )
        values = {
            "choice": choice,
            "text": text,
            "cadence": cadence,
            "next_run_at": next_run_at,
            "active": True,
        }
        with self.engine.begin() as conn:
            if conn.execute(update(sp).where(key).values(**values)).rowcount == 0:
                conn.execute(
                    sp.insert().values(
                        workspace_id=ws_id,
                        user_id=user_id,
                        experience_key=experience_key,
                        sent_item_ids=[],
                        created_at=now,
                        **values,
                    )
                )
            row = conn.execute(select(sp).where(key)).one()
        return _saved(row)

    def list_prompts(self, ws_id: int, user_id: str | None = None) -> list[SavedPromptRecord]:
        q = select(saved_prompts).where(saved_prompts.c.workspace_id == ws_id)
        if user_id is not None:
            q = q.where(saved_prompts.c.user_id == user_id)
        with self.engine.connect() as conn:
            return [_saved(r) for r in conn.execute(q.order_by(saved_prompts.c.id))]

    def delete_prompt(self, ws_id: int, user_id: str, experience_key: str) -> bool:
        sp = saved_prompts
        with self.engine.begin() as conn:
            n = conn.execute(
                delete(sp).where(
                    sp.c.workspace_id == ws_id,
                    sp.c.user_id == user_id,
                    sp.c.experience_key == experience_key,
                )
            ).rowcount
        return n > 0

    def due_prompts(
        self, now: float, limit: int = 100, workspace_id: int | None = None
    ) -> list[SavedPromptRecord]:
        sp = saved_prompts
        q = (
            select(sp)
            .where(sp.c.active, sp.c.next_run_at <= now)
            .order_by(sp.c.next_run_at, sp.c.id)
            .limit(limit)
        )
        if workspace_id is not None:
            q = q.where(sp.c.workspace_id == workspace_id)
        with self.engine.connect() as conn:
            return [_saved(r) for r in conn.execute(q)]

    def claim_prompt(self, prompt: SavedPromptRecord, next_run_at: float) -> bool:
        """Move the prompt's next run on; False when another worker already ran it."""
        sp = saved_prompts
        with self.engine.begin() as conn:
            n = conn.execute(
                update(sp)
                .where(sp.c.id == prompt.id, sp.c.next_run_at == prompt.next_run_at)
                .values(next_run_at=next_run_at)
            ).rowcount
        return n == 1

    def record_run(
        self, prompt_id: int, *, ran_at: float, request_id: str, sent_item_ids: list[str]
    ) -> None:
        with self.engine.begin() as conn:
            conn.execute(
                update(saved_prompts)
                .where(saved_prompts.c.id == prompt_id)
                .values(last_run_at=ran_at, last_request_id=request_id, sent_item_ids=sent_item_ids)
            )
