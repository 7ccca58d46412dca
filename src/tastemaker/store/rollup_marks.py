"""Marking the days a write changes, for the report's daily rollups (:mod:`.rollups`).

Why a module of its own: the rollups are rebuilt from marks, and the marks are written by every
writer of a report's rows (events, served results, answer logs, identify, erasure, retention)
*inside that writer's transaction*, so the mark and the change commit together. These are the
functions those writers call; :mod:`.rollups` reads and clears the marks when it rebuilds.
"""

from __future__ import annotations

import bisect
import time
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any, Protocol

from sqlalchemy import (
    Connection,
    func,
    select,
)

from tastemaker.store import metrics as q
from tastemaker.store.journey_tables import prompt_answers
from tastemaker.store.metrics import DAY, utc_day
from tastemaker.store.models import events, experiences, latest_experiences, served
from tastemaker.store.rollup_tables import (
    rollup_built,
    rollup_dirty,
)
from tastemaker.store.rollups import (
    CONVERSION_TYPES,
    MAX_DAYS,
    MAX_WINDOW_S,
    PROMPT_TYPES,
)

if TYPE_CHECKING:
    from tastemaker.store.records import ServedRecord


# -- marking changed days ----------------------------------------------------------------------
# Each function runs inside the writer's transaction, after (or, for deletions, before) its
# change, so the mark and the change commit together.


class EventLike(Protocol):
    """What marking needs of an event (``EventIn`` has it)."""

    @property
    def type(self) -> str: ...
    @property
    def user_id(self) -> str: ...
    @property
    def ts(self) -> float: ...
    @property
    def request_id(self) -> str | None: ...


def _closed(now: float | None) -> tuple[int, float, float]:
    """Today, and the [first, end) seconds of the days a mark can concern."""
    today = utc_day(time.time() if now is None else now)
    return today, (today - MAX_DAYS) * DAY, today * DAY


def mark_days(conn: Connection, ws_id: int, days: Iterable[int], now: float | None = None) -> int:
    """Mark these days of the workspace changed (those that are closed); returns how many."""
    today, _, _ = _closed(now)
    wanted = sorted({int(d) for d in days if today - MAX_DAYS <= d < today})
    if wanted:
        conn.execute(rollup_dirty.insert(), [{"workspace_id": ws_id, "day": d} for d in wanted])
    return len(wanted)


def _served_days(conn: Connection, ws_id: int, *where: Any, now: float | None = None) -> set[int]:
    """Closed days on which results matching ``where`` were served."""
    _, lo, hi = _closed(now)
    stmt = (
        select(q.day_of(served.c.created_at))
        .where(served.c.workspace_id == ws_id, served.c.created_at >= lo, served.c.created_at < hi)
        .where(*where)
        .distinct()
    )
    return {int(d) for d in conn.execute(stmt).scalars()}


def _requests_days(
    conn: Connection, ws_id: int, request_ids: Iterable[str], now: float | None = None
) -> set[int]:
    ids = sorted(set(request_ids))
    days: set[int] = set()
    for start in range(0, len(ids), 500):
        days |= _served_days(
            conn, ws_id, served.c.request_id.in_(ids[start : start + 500]), now=now
        )
    return days


def _max_window_s(conn: Connection, ws_id: int) -> float:
    """The longest attribution window among the workspace's experiences (latest versions) and
    the windows it has rollups of (a report may be asked with other specs than the saved)."""
    stmt = latest_experiences(ws_id, experiences.c.spec)
    built = select(func.max(rollup_built.c.window_s)).where(rollup_built.c.workspace_id == ws_id)
    longest = float(conn.execute(built).scalar() or 0.0)
    for spec in conn.execute(stmt).scalars():
        hours = (spec or {}).get("measure", {}).get("attribution_window_hours")
        longest = max(longest, float(hours) * 3600.0 if hours else MAX_WINDOW_S)
    return longest


def _credit_days(
    conn: Connection,
    ws_id: int,
    conversions: Sequence[tuple[str, float]],
    window_s: float,
    now: float | None = None,
) -> set[int]:
    """Closed days of the results a person's conversion at ``ts`` may credit: theirs, served
    within the window before it (any credit of a conversion moves when another appears)."""
    if not conversions:
        return set()
    by_person: dict[str, list[float]] = {}
    for person, ts in conversions:
        by_person.setdefault(person, []).append(ts)
    for times in by_person.values():
        times.sort()
    lo = min(ts for _, ts in conversions) - window_s
    hi = max(ts for _, ts in conversions)
    people = sorted(by_person)
    days: set[int] = set()
    _, first, end = _closed(now)
    for start in range(0, len(people), 500):
        stmt = select(served.c.user_id, served.c.created_at).where(
            served.c.workspace_id == ws_id,
            served.c.user_id.in_(people[start : start + 500]),
            served.c.created_at >= max(lo, first),
            served.c.created_at <= hi,
            served.c.created_at < end,
        )
        for person, at in conn.execute(stmt):
            times = by_person[person]
            i = bisect.bisect_left(times, at)  # the first conversion at or after ``at``
            if i < len(times) and times[i] - window_s <= at:
                days.add(utc_day(at))
    return days


def marks_events(e: EventLike) -> bool:
    """Whether an event can change a closed day of the report (the rest need no look-up)."""
    return e.type in PROMPT_TYPES or e.type in CONVERSION_TYPES or e.request_id is not None


def mark_events(
    conn: Connection, ws_id: int, batch: Iterable[EventLike], now: float | None = None
) -> int:
    """Mark the closed days a batch of events changes: a prompt event's own day, the day of
    a result an event names, and the days of the results a conversion may credit."""
    days: set[int] = set()
    requests: set[str] = set()
    conversions: list[tuple[str, float]] = []
    for e in batch:
        if e.type in PROMPT_TYPES:
            days.add(utc_day(e.ts))
        if e.request_id is not None:
            requests.add(e.request_id)
        if e.type in CONVERSION_TYPES:
            conversions.append((e.user_id, e.ts))
    if requests:
        days |= _requests_days(conn, ws_id, requests, now)
    if conversions:
        days |= _credit_days(conn, ws_id, conversions, _max_window_s(conn, ws_id), now)
    return mark_days(conn, ws_id, days, now)


def mark_served(
    conn: Connection, ws_id: int, rows: Sequence[ServedRecord], now: float | None = None
) -> int:
    """Mark the closed days late results change: their own, and those of every credit of the
    conversions that may now credit them (their person's within the window after, and the
    ones naming them)."""
    today, _, _ = _closed(now)
    late = [r for r in rows if utc_day(r.created_at) < today]
    if not late:
        return 0
    days = {utc_day(r.created_at) for r in late}
    window_s = _max_window_s(conn, ws_id)
    people = sorted({r.user_id for r in late if r.user_id is not None})
    lo = min(r.created_at for r in late)
    hi = max(r.created_at for r in late) + window_s
    found: list[tuple[str, float, str | None]] = []
    conversion = (events.c.workspace_id == ws_id, events.c.type.in_(CONVERSION_TYPES))
    cols = (events.c.user_id, events.c.ts, events.c.request_id)
    for start in range(0, len(people), 500):
        found += conn.execute(
            select(*cols).where(
                *conversion,
                events.c.user_id.in_(people[start : start + 500]),
                events.c.ts >= lo,
                events.c.ts <= hi,
            )
        ).all()
    ids = [r.request_id for r in late]
    for start in range(0, len(ids), 500):
        found += conn.execute(
            select(*cols).where(*conversion, events.c.request_id.in_(ids[start : start + 500]))
        ).all()
    days |= _credit_days(conn, ws_id, [(u, ts) for u, ts, _ in found], window_s, now)
    days |= _requests_days(conn, ws_id, [r for _, _, r in found if r is not None], now)
    return mark_days(conn, ws_id, days, now)


def mark_answers(
    conn: Connection,
    ws_id: int,
    logs: Iterable[tuple[str, float]],
    now: float | None = None,
) -> int:
    """Mark the closed days these answer logs (request id, time) change: those of their
    results (kind, confidence) and their own (choice counts)."""
    logged = list(logs)
    days = _requests_days(conn, ws_id, [r for r, _ in logged], now)
    return mark_days(conn, ws_id, days | {utc_day(at) for _, at in logged}, now)


def mark_person(conn: Connection, ws_id: int, person: str, now: float | None = None) -> int:
    """Mark every closed day a person's rows count on, before erasing them or after moving
    another id's rows to them: their results (visitors, their conversions' credits), the
    results their events and answer logs name, the days of their prompt events and answer
    logs."""
    named = select(events.c.request_id).where(
        events.c.workspace_id == ws_id,
        events.c.user_id == person,
        events.c.request_id.is_not(None),
    )
    answered = select(prompt_answers.c.request_id).where(
        prompt_answers.c.workspace_id == ws_id, prompt_answers.c.user_id == person
    )
    days = _served_days(conn, ws_id, served.c.user_id == person, now=now)
    days |= _served_days(conn, ws_id, served.c.request_id.in_(named), now=now)
    days |= _served_days(conn, ws_id, served.c.request_id.in_(answered), now=now)
    _, lo, hi = _closed(now)
    logged = select(q.day_of(prompt_answers.c.created_at)).where(
        prompt_answers.c.workspace_id == ws_id,
        prompt_answers.c.user_id == person,
        prompt_answers.c.created_at >= lo,
        prompt_answers.c.created_at < hi,
    )
    days |= {int(d) for d in conn.execute(logged.distinct()).scalars()}
    prompts = select(q.day_of(events.c.ts)).where(
        events.c.workspace_id == ws_id,
        events.c.user_id == person,
        events.c.type.in_(PROMPT_TYPES),
        events.c.ts >= lo,
        events.c.ts < hi,
    )
    days |= {int(d) for d in conn.execute(prompts.distinct()).scalars()}
    return mark_days(conn, ws_id, days, now)


def retention_days(
    conn: Connection, ws_id: int, cutoff: float, now: float | None = None
) -> set[int]:
    """The closed days that deleting the workspace's events and results before ``cutoff``
    changes (ask before deleting; mark them if anything went): every day up to the cutoff,
    the days whose conversions may have credited a deleted result, the days of results named
    by deleted events."""
    window_s = _max_window_s(conn, ws_id)
    today, _, _ = _closed(now)
    days = set(range(today - MAX_DAYS, min(today, utc_day(cutoff + window_s) + 1)))
    named = select(events.c.request_id).where(
        events.c.workspace_id == ws_id,
        events.c.ts < cutoff,
        events.c.request_id.is_not(None),
    )
    days |= _served_days(
        conn, ws_id, served.c.created_at >= cutoff, served.c.request_id.in_(named), now=now
    )
    return days


__all__ = [
    "EventLike",
    "mark_answers",
    "mark_days",
    "mark_events",
    "mark_person",
    "mark_served",
    "marks_events",
    "retention_days",
]
