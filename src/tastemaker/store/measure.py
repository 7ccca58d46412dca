"""The measure area's people and answers: identity links, prompt answer logs, preferences.

People are stitched when data is written, not when it is read: linking an anonymous id re-keys
what is stored under it, and later events and results under a linked anonymous id are stored
under the person's id (``tastemaker.measure.events.prepare``, ``stitch`` below, used by the
engine's write-behind flush). So every other query's ``user_id`` already is the person.

The metrics' SQL is in :mod:`tastemaker.store.metrics`.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from sqlalchemy import delete, select, update

from tastemaker.store import rollup_marks
from tastemaker.store.journey_tables import identities, prompt_answers
from tastemaker.store.journey_tables import saved_answers as preferences
from tastemaker.store.models import events, served, users
from tastemaker.store.records import ServedRecord

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection

    from tastemaker.store.store import Store


@dataclass(frozen=True, slots=True)
class AnswerLog:
    """What one served request was asked and answered (a row of ``prompt_answers``)."""

    workspace_id: int
    request_id: str
    kind: str  # "answer" | "followup" | "refine"
    experience_key: str
    variant: str
    user_id: str | None
    choice_id: str | None
    text: str | None
    confidence: float | None
    parent_request_id: str | None = None
    created_at: float = 0.0


# -- identities --------------------------------------------------------------------------------


def resolve_users(store: Store, ws_id: int, ids: Iterable[str]) -> dict[str, str]:
    """Anonymous id -> linked user id, for those of ``ids`` that are linked."""
    wanted = sorted(set(ids))
    if not wanted:
        return {}
    out: dict[str, str] = {}
    with store.engine.connect() as conn:
        for start in range(0, len(wanted), 500):
            stmt = select(identities.c.anonymous_id, identities.c.user_id).where(
                identities.c.workspace_id == ws_id,
                identities.c.anonymous_id.in_(wanted[start : start + 500]),
            )
            out.update({a: u for a, u in conn.execute(stmt)})
    return out


def link_identity(store: Store, ws_id: int, anonymous_id: str, user_id: str) -> int:
    """Link ``anonymous_id`` to ``user_id`` and move its history over; returns events moved.

    The events and served results already stored under the anonymous id are re-keyed to the
    user id in the same transaction (their ``event_id`` stays, so idempotency holds), and the
    two ``users`` rows become one: the person's history, the ranker's training data and every
    metric then see one person. A later link of the same anonymous id to someone else wins.
    """
    now = time.time()
    with store.engine.begin() as conn:
        existing = conn.execute(
            select(identities.c.user_id).where(
                identities.c.workspace_id == ws_id, identities.c.anonymous_id == anonymous_id
            )
        ).scalar_one_or_none()
        if existing is None:
            conn.execute(
                identities.insert().values(
                    workspace_id=ws_id, anonymous_id=anonymous_id, user_id=user_id, linked_at=now
                )
            )
        elif existing != user_id:
            conn.execute(
                update(identities)
                .where(
                    identities.c.workspace_id == ws_id, identities.c.anonymous_id == anonymous_id
                )
                .values(user_id=user_id, linked_at=now)
            )
        moved = conn.execute(
            update(events)
            .where(events.c.workspace_id == ws_id, events.c.user_id == anonymous_id)
            .values(user_id=user_id)
        ).rowcount
        conn.execute(
            update(served)
            .where(served.c.workspace_id == ws_id, served.c.user_id == anonymous_id)
            .values(user_id=user_id)
        )
        conn.execute(
            update(prompt_answers)
            .where(prompt_answers.c.workspace_id == ws_id, prompt_answers.c.user_id == anonymous_id)
            .values(user_id=user_id)
        )
        if moved:
            _merge_users(conn, ws_id, anonymous_id, user_id)
        # Every closed day that counted the anonymous id's rows now counts the person's.
        rollup_marks.mark_person(conn, ws_id, user_id)
    return int(moved)


def _merge_users(conn: Connection, ws_id: int, anonymous_id: str, user_id: str) -> None:
    rows = conn.execute(
        select(users.c.first_seen, users.c.last_seen, users.c.event_count).where(
            users.c.workspace_id == ws_id, users.c.user_id.in_([anonymous_id, user_id])
        )
    ).all()
    if not rows:
        return
    conn.execute(
        delete(users).where(
            users.c.workspace_id == ws_id, users.c.user_id.in_([anonymous_id, user_id])
        )
    )
    conn.execute(
        users.insert().values(
            workspace_id=ws_id,
            user_id=user_id,
            first_seen=min(r.first_seen for r in rows),
            last_seen=max(r.last_seen for r in rows),
            event_count=sum(r.event_count for r in rows),
        )
    )


# -- prompt answers and preferences ------------------------------------------------------------


def record_answers(store: Store, rows: Sequence[AnswerLog]) -> None:
    """Insert answer logs; a request id already recorded is ignored (retries are safe).

    A log of a closed day (its choice counts there), or whose result was served on one (its
    kind and confidence count there), marks that day of the report's rollups, in the same
    transaction.
    """
    if not rows:
        return
    stmt = store._insert(prompt_answers).on_conflict_do_nothing(
        index_elements=[prompt_answers.c.workspace_id, prompt_answers.c.request_id]
    )
    now = time.time()
    by_ws: dict[int, list[tuple[str, float]]] = {}
    for r in rows:
        by_ws.setdefault(r.workspace_id, []).append((r.request_id, r.created_at or now))
    with store.engine.begin() as conn:
        conn.execute(
            stmt,
            [
                {
                    "workspace_id": r.workspace_id,
                    "request_id": r.request_id,
                    "kind": r.kind,
                    "parent_request_id": r.parent_request_id,
                    "experience_key": r.experience_key,
                    "variant": r.variant,
                    "user_id": r.user_id,
                    "choice_id": r.choice_id,
                    "text": r.text,
                    "confidence": r.confidence,
                    "created_at": r.created_at or now,
                }
                for r in rows
            ],
        )
        for ws_id, logs in by_ws.items():
            rollup_marks.mark_answers(conn, ws_id, logs)


def get_answer(store: Store, ws_id: int, request_id: str) -> AnswerLog | None:
    stmt = select(prompt_answers).where(
        prompt_answers.c.workspace_id == ws_id, prompt_answers.c.request_id == request_id
    )
    with store.engine.connect() as conn:
        r = conn.execute(stmt).first()
    if r is None:
        return None
    return AnswerLog(
        workspace_id=r.workspace_id,
        request_id=r.request_id,
        kind=r.kind,
        experience_key=r.experience_key,
        variant=r.variant,
        user_id=r.user_id,
        choice_id=r.choice_id,
        text=r.text,
        confidence=r.confidence,
        parent_request_id=r.parent_request_id,
        created_at=r.created_at,
    )


def save_preferences(
    store: Store,
    ws_id: int,
    user_id: str,
    experience_key: str,
    request_id: str,
    answers: dict[str, tuple[str | None, str | None]],
) -> None:
    """Remember a person's answers (question -> (choice, text)), replacing earlier ones."""
    now = time.time()
    with store.engine.begin() as conn:
        conn.execute(
            delete(preferences).where(
                preferences.c.workspace_id == ws_id,
                preferences.c.user_id == user_id,
                preferences.c.experience_key == experience_key,
                preferences.c.question.in_(list(answers)),
            )
        )
        conn.execute(
            preferences.insert(),
            [
                {
                    "workspace_id": ws_id,
                    "user_id": user_id,
                    "experience_key": experience_key,
                    "question": question,
                    "choice_id": choice,
                    "text": text,
                    "request_id": request_id,
                    "updated_at": now,
                }
                for question, (choice, text) in answers.items()
            ],
        )


def get_preferences(
    store: Store, ws_id: int, user_id: str, experience_key: str
) -> dict[str, tuple[str | None, str | None]]:
    """The remembered answers of a person for an experience: question -> (choice, text)."""
    stmt = select(preferences.c.question, preferences.c.choice_id, preferences.c.text).where(
        preferences.c.workspace_id == ws_id,
        preferences.c.user_id == user_id,
        preferences.c.experience_key == experience_key,
    )
    with store.engine.connect() as conn:
        return {q: (c, t) for q, c, t in conn.execute(stmt)}


def stitch(
    store: Store, rows: Sequence[ServedRecord], answers: Sequence[AnswerLog]
) -> tuple[list[ServedRecord], list[AnswerLog]]:
    """Results (and their answer logs) for a linked anonymous id, re-keyed to the person.

    One lookup per batch (the engine calls it once per flush), so answering pays nothing.
    """
    by_ws: dict[int, set[str]] = {}
    pairs = [(r.workspace_id, r.user_id) for r in rows]
    pairs += [(a.workspace_id, a.user_id) for a in answers]
    for ws_id, user_id in pairs:
        if user_id is not None:
            by_ws.setdefault(ws_id, set()).add(user_id)
    links = {
        (ws_id, anon): person
        for ws_id, ids in by_ws.items()
        for anon, person in resolve_users(store, ws_id, ids).items()
    }
    if not links:
        return list(rows), list(answers)
    return (
        [replace(r, user_id=links.get((r.workspace_id, r.user_id or ""), r.user_id)) for r in rows],
        [
            replace(a, user_id=links.get((a.workspace_id, a.user_id or ""), a.user_id))
            for a in answers
        ],
    )


__all__ = [
    "AnswerLog",
    "get_answer",
    "get_preferences",
    "link_identity",
    "record_answers",
    "resolve_users",
    "save_preferences",
    "stitch",
]
