"""The privacy area's queries: policies, consent, memory, export, erasure and retention.

Kept out of ``store.py`` (which holds the catalog and event queries); it works on the same
:class:`~tastemaker.store.Store` and its engine. Export and erasure walk the registry in
:mod:`tastemaker.store.person`, so tables registered by other areas are covered too.
"""

from __future__ import annotations

import hashlib
import time
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any

from sqlalchemy import Connection, and_, delete, func, select, update

from tastemaker.store import rollup_marks
from tastemaker.store.editorial_models import review_queue
from tastemaker.store.journey_tables import prompt_answers, saved_answers
from tastemaker.store.models import events, served, workspaces
from tastemaker.store.partitions import drop_months_before
from tastemaker.store.person import erase_person, export_person
from tastemaker.store.privacy_records import (
    DAY,
    DEFAULT_POLICY,
    PREFERENCE_KINDS,
    PURPOSES,
    ConsentState,
    Memory,
    PersonState,
    Policy,
    Preference,
    Purpose,
)
from tastemaker.store.privacy_tables import (
    answers,
    consents,
    erasures,
    preferences,
    privacy_policies,
)
from tastemaker.store.store import Store

POLICY_TTL_SECONDS = 2.0


class PrivacyStore:
    """The privacy queries over a :class:`Store`."""

    def __init__(self, store: Store, *, policy_ttl: float = POLICY_TTL_SECONDS) -> None:
        self.store = store
        self._policy_ttl = policy_ttl
        # ws_id -> (read at, policy): every answer needs the policy, which changes rarely
        self._policies: dict[int, tuple[float, Policy]] = {}
        p = store.param
        # Driver-level SQL on the request path (``Store.reader``), as ``Store.user_history``:
        # a compiled select costs several times more than the lookup itself.
        self._consent_sql = (
            "SELECT purpose, granted FROM consents WHERE workspace_id = "
            f"{p} AND user_id = {p} ORDER BY recorded_at, id"
        )
        self._prefs_sql = (
            "SELECT id, kind, name, value, source, created_at, expires_at FROM preferences "
            f"WHERE workspace_id = {p} AND user_id = {p} AND expires_at > {p} "
            "ORDER BY created_at, id"
        )

    # -- policy ----------------------------------------------------------------------------

    def policy(self, ws_id: int) -> Policy:
        with self.store.engine.connect() as conn:
            return _policy(conn, ws_id)

    def _cached_policy(self, ws_id: int) -> Policy:
        """The policy, re-read at most every ``policy_ttl`` seconds (changes from another
        process apply within that time; this process's own changes at once)."""
        now = time.monotonic()
        hit = self._policies.get(ws_id)
        if hit is not None and now - hit[0] < self._policy_ttl:
            return hit[1]
        policy = self.policy(ws_id)
        self._policies[ws_id] = (now, policy)
        return policy

    def set_policy(self, ws_id: int, **changes: Any) -> Policy:
        """Change some of the workspace's retention periods or consent defaults."""
        with self.store.engine.begin() as conn:
            policy = replace(_policy(conn, ws_id), **changes)
            row = {
                "events_days": policy.events_days,
                "answers_days": policy.answers_days,
                "memory_days": policy.memory_days,
                "default_history": policy.default_history,
                "default_memory": policy.default_memory,
                "default_marketing": policy.default_marketing,
                "updated_at": time.time(),
            }
            stmt = self.store._insert(privacy_policies).values(workspace_id=ws_id, **row)
            conn.execute(stmt.on_conflict_do_update(index_elements=["workspace_id"], set_=row))
        self._policies.pop(ws_id, None)
        return policy

    # -- consent ---------------------------------------------------------------------------

    def record_consent(
        self,
        ws_id: int,
        user_id: str,
        changes: Mapping[Purpose, bool],
        *,
        source: str,
        now: float | None = None,
    ) -> dict[Purpose, ConsentState]:
        """Append the changes to the person's consent history; returns where they now stand."""
        at = time.time() if now is None else now
        with self.store.engine.begin() as conn:
            if changes:
                conn.execute(
                    consents.insert(),
                    [
                        {
                            "workspace_id": ws_id,
                            "user_id": user_id,
                            "purpose": purpose,
                            "granted": granted,
                            "source": source,
                            "recorded_at": at,
                        }
                        for purpose, granted in changes.items()
                    ],
                )
            return _consent(conn, ws_id, user_id, _policy(conn, ws_id))

    def consent(self, ws_id: int, user_id: str) -> dict[Purpose, ConsentState]:
        with self.store.engine.connect() as conn:
            return _consent(conn, ws_id, user_id, _policy(conn, ws_id))

    def consent_history(self, ws_id: int, user_id: str) -> list[dict[str, Any]]:
        """Every consent change the person made, oldest first."""
        stmt = (
            select(
                consents.c.purpose, consents.c.granted, consents.c.source, consents.c.recorded_at
            )
            .where(consents.c.workspace_id == ws_id, consents.c.user_id == user_id)
            .order_by(consents.c.recorded_at, consents.c.id)
        )
        with self.store.engine.connect() as conn:
            return [
                {"purpose": p, "granted": bool(g), "source": s, "recorded_at": at}
                for p, g, s, at in conn.execute(stmt)
            ]

    def person_state(self, ws_id: int, user_id: str, now: float) -> PersonState:
        """What one answer needs to know about the person: consent and, under memory consent,
        their unexpired remembered facts."""
        policy = self._cached_policy(ws_id)
        granted: dict[Purpose, bool] = {p: policy.default(p) for p in PURPOSES}
        prefs: list[Preference] = []
        with self.store.reader() as cur:  # every answer asks: the lean path
            cur.execute(self._consent_sql, (ws_id, user_id))
            for purpose, ok in cur.fetchall():
                if purpose in granted:
                    granted[purpose] = bool(ok)
            if granted["memory"]:
                cur.execute(self._prefs_sql, (ws_id, user_id, now))
                prefs = [Preference(*r) for r in cur.fetchall()]
        return PersonState(policy, granted, prefs)

    # -- memory ----------------------------------------------------------------------------

    def remember(self, rows: Sequence[Memory]) -> None:
        """Keep answers and their facts; a fact heard again gets a fresh expiry.

        A person has one budget per attribute at a time: a new one replaces the old.
        """
        if not rows:
            return
        with self.store.engine.begin() as conn:
            conn.execute(
                answers.insert(),
                [
                    {
                        "workspace_id": m.workspace_id,
                        "user_id": m.user_id,
                        "request_id": m.request_id,
                        "experience_key": m.experience_key,
                        "choice_id": m.choice_id,
                        "text": m.text,
                        "created_at": m.created_at,
                    }
                    for m in rows
                ],
            )
            for m in rows:
                for kind, name, value in m.facts:
                    if kind == "budget":
                        conn.execute(
                            delete(preferences).where(
                                preferences.c.workspace_id == m.workspace_id,
                                preferences.c.user_id == m.user_id,
                                preferences.c.kind == kind,
                                preferences.c.name == name,
                                preferences.c.value != value,
                            )
                        )
                    values = {
                        "source": m.experience_key,
                        "created_at": m.created_at,
                        "expires_at": m.expires_at,
                    }
                    stmt = self.store._insert(preferences).values(
                        workspace_id=m.workspace_id,
                        user_id=m.user_id,
                        kind=kind,
                        name=name,
                        value=value,
                        **values,
                    )
                    conn.execute(
                        stmt.on_conflict_do_update(
                            index_elements=["workspace_id", "user_id", "kind", "name", "value"],
                            set_=values,
                        )
                    )

    def preferences(self, ws_id: int, user_id: str, now: float | None = None) -> list[Preference]:
        """What we remember about the person (unexpired), oldest first."""
        with self.store.engine.connect() as conn:
            return _preferences(conn, ws_id, user_id, time.time() if now is None else now)

    def forget_preference(self, ws_id: int, user_id: str, pref_id: int) -> bool:
        with self.store.engine.begin() as conn:
            result = conn.execute(
                delete(preferences).where(
                    preferences.c.workspace_id == ws_id,
                    preferences.c.user_id == user_id,
                    preferences.c.id == pref_id,
                )
            )
        return bool(result.rowcount)

    def forget_memory(self, ws_id: int, user_id: str) -> dict[str, int]:
        """Delete everything kept under memory consent (on its withdrawal)."""
        counts: dict[str, int] = {}
        with self.store.engine.begin() as conn:
            for t in (preferences, answers, saved_answers):
                result = conn.execute(
                    delete(t).where(t.c.workspace_id == ws_id, t.c.user_id == user_id)
                )
                counts[str(t.name)] = int(result.rowcount or 0)
            # the report's answer log keeps the row (it counts) but not the words
            result = conn.execute(
                update(prompt_answers)
                .where(prompt_answers.c.workspace_id == ws_id, prompt_answers.c.user_id == user_id)
                .values(text=None)
            )
            counts["prompt_answers.text"] = int(result.rowcount or 0)
        return counts

    # -- export and erasure --------------------------------------------------------------------

    def export(self, ws_id: int, user_id: str) -> dict[str, list[dict[str, Any]]]:
        with self.store.engine.connect() as conn:
            return export_person(conn, ws_id, user_id)

    def erase(
        self, ws_id: int, user_id: str, *, now: float | None = None
    ) -> tuple[str, dict[str, int]]:
        """Erase the person from every registered table and keep a receipt, in one transaction."""
        at = time.time() if now is None else now
        receipt = uuid.uuid4().hex
        with self.store.engine.begin() as conn:
            # Copy queued for review is keyed by the answer, not the person; what their own
            # requests queued (their words) goes with them. Found through their served results
            # before those are anonymized.
            mine = select(served.c.request_id).where(
                served.c.workspace_id == ws_id, served.c.user_id == user_id
            )
            reviewed = conn.execute(
                delete(review_queue).where(
                    review_queue.c.workspace_id == ws_id, review_queue.c.request_id.in_(mine)
                )
            ).rowcount
            # The report's closed days that counted them (read before their rows go).
            rollup_marks.mark_person(conn, ws_id, user_id)
            counts = erase_person(conn, ws_id, user_id)
            if reviewed:
                counts["review_queue"] = int(reviewed)
            conn.execute(
                erasures.insert().values(
                    workspace_id=ws_id,
                    receipt_id=receipt,
                    subject_hash=subject_hash(ws_id, user_id),
                    erased_at=at,
                    counts=counts,
                )
            )
        return receipt, counts

    def latest_erasure(self) -> int:
        """The id of the newest erasure receipt in any workspace (0 when none)."""
        with self.store.engine.connect() as conn:
            return int(conn.execute(select(func.max(erasures.c.id))).scalar() or 0)

    def erased_at(self, people: Sequence[tuple[int, str]]) -> dict[tuple[int, str], float]:
        """When each of these (workspace, user) was last erased, for those that ever were.

        Another process may erase a person while this one still buffers their rows; the
        buffers ask this before writing so that nothing of them comes back.
        """
        if not people:
            return {}
        by_hash = {subject_hash(ws, user): (ws, user) for ws, user in set(people)}
        out: dict[tuple[int, str], float] = {}
        with self.store.engine.connect() as conn:
            rows = conn.execute(
                select(erasures.c.subject_hash, erasures.c.erased_at).where(
                    erasures.c.subject_hash.in_(list(by_hash))
                )
            )
            for digest, at in rows:
                key = by_hash[digest]
                out[key] = max(out.get(key, 0.0), float(at))
        return out

    def receipt(self, ws_id: int, receipt_id: str) -> dict[str, Any] | None:
        with self.store.engine.connect() as conn:
            row = conn.execute(
                select(erasures).where(
                    erasures.c.workspace_id == ws_id, erasures.c.receipt_id == receipt_id
                )
            ).first()
        if row is None:
            return None
        return {
            "receipt_id": row.receipt_id,
            "subject_hash": row.subject_hash,
            "erased_at": row.erased_at,
            "counts": row.counts,
        }

    # -- retention -----------------------------------------------------------------------------

    def drop_expired_months(self, now: float) -> dict[int, int]:
        """Drop whole months of events that every workspace's policy has let go (PostgreSQL).

        Partitions hold all workspaces, so a month goes only when the longest events
        retention has passed its end; any workspace keeping events until erased (no
        ``events_days``) keeps every month. Returns events dropped per workspace id.
        """
        if self.store.dialect != "postgresql":
            return {}
        with self.store.engine.connect() as conn:
            ids = conn.execute(select(workspaces.c.id)).scalars().all()
            days = [_policy(conn, ws_id).events_days for ws_id in ids]
        if not days or any(d is None for d in days):
            return {}
        cutoff = now - max(d for d in days if d is not None) * DAY

        def mark(conn: Connection, until: float) -> None:
            # Every event before ``until`` goes: the report's closed days that counted them.
            for ws_id in ids:
                rollup_marks.mark_days(conn, ws_id, rollup_marks.retention_days(conn, ws_id, until))

        return drop_months_before(self.store.engine, cutoff, before=mark)

    def purge_expired(self, ws_id: int, now: float) -> dict[str, int]:
        """Delete what the workspace's policy no longer lets it keep, as of ``now``."""
        policy = self.policy(ws_id)
        counts: dict[str, int] = {}
        with self.store.engine.begin() as conn:
            if policy.events_days is not None:
                cutoff = now - policy.events_days * DAY
                changed = rollup_marks.retention_days(conn, ws_id, cutoff)
                counts["events"] = _delete(
                    conn, events, events.c.workspace_id == ws_id, events.c.ts < cutoff
                )
                # Served results are request logs of the same kind, kept just as long.
                counts["served"] = _delete(
                    conn, served, served.c.workspace_id == ws_id, served.c.created_at < cutoff
                )
                if counts["events"] or counts["served"]:
                    rollup_marks.mark_days(conn, ws_id, changed)
            if policy.answers_days is not None:
                cutoff = now - policy.answers_days * DAY
                counts["answers"] = _delete(
                    conn, answers, answers.c.workspace_id == ws_id, answers.c.created_at < cutoff
                )
            counts["preferences"] = _delete(
                conn,
                preferences,
                preferences.c.workspace_id == ws_id,
                preferences.c.expires_at <= now,
            )
        return counts


def subject_hash(ws_id: int, user_id: str) -> str:
    return hashlib.sha256(f"{ws_id}\x00{user_id}".encode()).hexdigest()


def _delete(conn: Connection, table: Any, *where: Any) -> int:
    return int(conn.execute(delete(table).where(and_(*where))).rowcount or 0)


def _policy(conn: Connection, ws_id: int) -> Policy:
    row = conn.execute(
        select(privacy_policies).where(privacy_policies.c.workspace_id == ws_id)
    ).first()
    if row is None:
        return DEFAULT_POLICY
    return Policy(
        events_days=row.events_days,
        answers_days=row.answers_days,
        memory_days=row.memory_days,
        default_history=bool(row.default_history),
        default_memory=bool(row.default_memory),
        default_marketing=bool(row.default_marketing),
    )


def _consent(
    conn: Connection, ws_id: int, user_id: str, policy: Policy
) -> dict[Purpose, ConsentState]:
    state: dict[Purpose, ConsentState] = {
        p: ConsentState(p, policy.default(p), "default", None) for p in PURPOSES
    }
    rows = conn.execute(
        select(consents.c.purpose, consents.c.granted, consents.c.source, consents.c.recorded_at)
        .where(consents.c.workspace_id == ws_id, consents.c.user_id == user_id)
        .order_by(consents.c.recorded_at, consents.c.id)
    )
    for purpose, granted, source, at in rows:
        if purpose in state:
            state[purpose] = ConsentState(purpose, bool(granted), source, at)
    return state


def _preferences(conn: Connection, ws_id: int, user_id: str, now: float) -> list[Preference]:
    rows = conn.execute(
        select(preferences)
        .where(
            preferences.c.workspace_id == ws_id,
            preferences.c.user_id == user_id,
            preferences.c.expires_at > now,
        )
        .order_by(preferences.c.created_at, preferences.c.id)
    )
    return [
        Preference(r.id, r.kind, r.name, r.value, r.source, r.created_at, r.expires_at)
        for r in rows
    ]


__all__ = [
    "DEFAULT_POLICY",
    "PREFERENCE_KINDS",
    "PURPOSES",
    "ConsentState",
    "Memory",
    "PersonState",
    "Policy",
    "Preference",
    "PrivacyStore",
    "Purpose",
    "subject_hash",
]
