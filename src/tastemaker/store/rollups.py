"""Daily rollups of the metrics report: each closed UTC day counted once, the open day live.

Why: the live report (:mod:`tastemaker.store.metrics`) aggregates every served result of its
period; over a million results that takes seconds per report, mostly in ``count(DISTINCT
person)`` and the latency percentiles. A closed day's counts rarely change, so they are kept
per (workspace, day, experience, variant) in ``rollup_days`` and a report reads a few hundred
small rows for its closed days, computing only the open days (today, and yesterday for
:data:`SETTLE_S` after midnight) from the rows. The result must equal the live computation, so:

- **A day's row is the live query's row for that day**, stored as the JSON of what the live
  queries returned for it (days are computed by the same code), plus two additive sums behind
  the means (fallbacks, confidence) and its latency histogram.
- **Totals** add the days' counts. Three figures do not add, and each has its own exact route:

  * distinct visitors: the report's window always ends now, so "seen in the last N days" is
    "last seen on or after day N": ``rollup_visitors`` keeps each person's last closed day per
    experience and variant (recomputed from the served results for the people a rebuilt day
    concerns), ``rollup_people_days`` how many people's last day each day is, so a report
    sums a row per day instead of counting people; the open days' people count when no closed
    day of the period has seen them.
  * converting people (last touch), likewise: ``rollup_converters`` keeps each person's last
    closed day credited with a conversion, per attribution window, experience, variant and
    type (recomputed from the attribution itself).
  * p50 / p99 latency (nearest rank): each day keeps a histogram of 0.1 ms buckets; the merged
    histogram says which bucket holds the rank and how many results lie below it, and an
    index on (experience, variant, latency) reads the exact value inside that bucket. So the
    percentiles are exact, not rounded to the bucket.

  Float sums (revenue, the confidence sum) are added day by day instead of row by row, so they
  can differ from the live figure in the last bits (floating-point summation order).
- **Answers**: the choice counts add up, per day of the answer log; the free-text themes are
  read live (a rollup would copy people's words into another table).
- **Correctness when a closed day changes.** Every write that can change a closed day's
  figures appends a mark for that (workspace, day) to ``rollup_dirty`` *in its own
  transaction*: late events (by their time, by the result they name, and for conversions by
  the results their person was served within the largest attribution window), late served
  results and answer logs, identify (the person's re-keyed rows), erasure and retention. A
  rebuild reads the marks first, then the data, and deletes only the marks it read, so a
  change committed meanwhile leaves its mark and the day is rebuilt again. The next report
  (or ``tastemaker maintain``) rebuilds marked and missing days before reading. Appending
  marks takes no lock that concurrent writers would queue on.
- **Only settled days are rolled up**: a day counts as closed :data:`SETTLE_S` after it ends,
  so a transaction that decided "this is today" just before midnight has committed before
  anything reads that day for a rollup.

What bypasses the writers (``COPY``, hand-written SQL) is not marked: after changing built
days that way, mark them (:func:`.rollup_marks.mark_days`) or delete their ``rollup_built``
rows. And a writer that read the experiences' windows just before a longer window was saved
and built may miss marking a day only that window reaches (its transaction would have to span
the save and the rebuild).
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

import orjson
from sqlalchemy import (
    Column,
    Connection,
    MetaData,
    String,
    Table,
    delete,
    func,
    literal,
    select,
    union,
    union_all,
)

from tastemaker.store import metrics as q
from tastemaker.store.metrics import DAY, utc_day
from tastemaker.store.models import ID_LEN, served
from tastemaker.store.rollup_tables import (
    rollup_built,
    rollup_converters,
    rollup_days,
    rollup_dirty,
    rollup_people_days,
    rollup_visitors,
)

if TYPE_CHECKING:
    from tastemaker.store.store import Store

# A day is rolled up only this long after it ends (see the module docstring).
SETTLE_S = 600.0
# The longest report is 366 days ending today: older days are never built, nor marked.
MAX_DAYS = 366
# ``window_s`` of the part that does not depend on the attribution window.
BASE = 0.0
# Latency histogram buckets per millisecond (0.1 ms buckets).
BUCKETS_PER_MS = 10
HISTOGRAM = "latency_histogram"
VISITORS = "visitors"  # the figure of rollup_people_days counting visitors
# The day's answers per choice: kept in the day's row, keyed by the day of the answer log.
CHOICES = "answer_choices"
PERCENTILES = {"p50_latency_ms": 50, "p99_latency_ms": 99}
# Days built per statement batch: bounds each write transaction.
CHUNK_DAYS = 31
# Above this many rebuilt days, every person's last day is recomputed in one aggregate.
FULL_REFRESH_DAYS = 28
# The experience spec's upper bound on ``attribution_window_hours`` (90 days): the window
# assumed for a spec that does not say.
MAX_WINDOW_S = 90 * DAY
ROLLUP_LOCK = 0x726F6C6C  # pg_advisory_xact_lock(key, workspace): "roll"

# The event types the report counts (``tastemaker.measure.events`` names them; the store cannot
# import it, so a test keeps the two equal, as for the partial indexes in ``models.py``).
PROMPT_TYPES = ("prompt_abandoned", "prompt_shown")
ENGAGEMENT_TYPES = ("add_to_cart", "click", "result_viewed", "save")
CONVERSION_TYPES = (
    "add_to_cart",
    "complete",
    "email_capture",
    "purchase",
    "trial_signup",
    "unsubscribe",
)

# Figures of a day that do not add up over days (the totals compute them otherwise).
NOT_ADDITIVE = frozenset(
    {"visitors", "fallback_rate", "mean_confidence", *PERCENTILES, *CONVERSION_TYPES}
)

Counts = dict[q.Key, dict[str, Any]]


def settled_day(now: float | None = None) -> int:
    """The first day not yet closed: days before it are rolled up, it and later are live."""
    return utc_day((time.time() if now is None else now) - SETTLE_S)


# -- the live computation ----------------------------------------------------------------------


def _merge(parts: Iterable[Mapping[q.Key, Mapping[str, Any]]]) -> Counts:
    merged: Counts = {}
    for part in parts:
        for key, values in part.items():
            merged.setdefault(key, {}).update(values)
    return merged


def _base_live(
    store: Store, ws_id: int, since: float, until: float, by_day: q.ByDay, *, few: bool = False
) -> Counts:
    return _merge(
        [
            q.served_metrics(store, ws_id, since, until, by_day=by_day, probe=few),
            q.prompt_events(store, ws_id, PROMPT_TYPES, since, until, by_day=by_day),
            q.engagement(store, ws_id, ENGAGEMENT_TYPES, since, until, by_day=by_day, probe=few),
        ]
    )


def _conversions_live(
    store: Store, ws_id: int, since: float, until: float, window_s: float, by_day: q.ByDay
) -> Counts:
    return q.conversions(
        store,
        ws_id,
        CONVERSION_TYPES,
        window_s=window_s,
        since=since,
        until=until,
        by_day=by_day,
    )


def _live(
    store: Store,
    ws_id: int,
    since: float,
    until: float,
    window_s: float,
    by_day: q.ByDay,
    *,
    few: bool = False,
) -> Counts:
    """Every count of the report from the rows, by (experience, variant, day or TOTAL);
    ``few``: the period holds few results (the open days), which some queries read otherwise."""
    return _merge(
        [
            _base_live(store, ws_id, since, until, by_day, few=few),
            _conversions_live(store, ws_id, since, until, window_s, by_day),
        ]
    )


def _split(merged: Counts) -> tuple[Counts, Counts]:
    daily = {k: v for k, v in merged.items() if k[2] != q.TOTAL}
    totals = {k: v for k, v in merged.items() if k[2] == q.TOTAL}
    return daily, totals


# -- reading -----------------------------------------------------------------------------------


def _closed_span(since: float, until: float) -> tuple[int, int] | None:
    """The period's first day and first open day when the rollups apply to it, else None.

    Rollups apply when the period is made of whole days and reaches the open days (as every
    report ending now does); otherwise, or when every day of it is open, it is all live. The
    clock is always the real one: "last seen" only holds for windows that end now.
    """
    end = settled_day()
    first, last = since / DAY, until / DAY
    if first.is_integer() and last.is_integer() and first < end <= last:
        return int(first), end
    return None


def counts(
    store: Store,
    ws_id: int,
    since: float,
    until: float,
    window_s: float,
    *,
    rollups: bool = True,
) -> tuple[Counts, Counts]:
    """The report's counts per day and in total, from the rollups where they apply
    (:func:`_closed_span`); ``rollups=False`` computes them all from the rows."""
    span = _closed_span(since, until) if rollups else None
    if span is None:
        return _split(_live(store, ws_id, since, until, window_s, by_day="both"))
    first, end = span
    refresh(store, ws_id, first, [window_s])
    return _assemble(store, ws_id, first, end, until, window_s)


def _assemble(
    store: Store, ws_id: int, first: int, end: int, until: float, window_s: float
) -> tuple[Counts, Counts]:
    """Closed days from the rollups, open days live, and the totals over both."""
    daily: Counts = {}
    histograms: dict[tuple[str, str], Counter[int]] = {}
    stmt = select(
        rollup_days.c.day, rollup_days.c.experience_key, rollup_days.c.variant, rollup_days.c.counts
    ).where(
        rollup_days.c.workspace_id == ws_id,
        rollup_days.c.window_s.in_([BASE, window_s]),
        rollup_days.c.day >= first,
        rollup_days.c.day < end,
    )
    with store.engine.connect() as conn:
        for day, exp, variant, text in conn.execute(stmt):
            row = orjson.loads(text)
            row.pop(CHOICES, None)
            hist = row.pop(HISTOGRAM, None)
            if hist:
                h = histograms.setdefault((exp, variant), Counter())
                h.update({int(b): n for b, n in hist.items()})
            if row:  # not only answers logged that day: a day of the report
                daily.setdefault((exp, variant, int(day)), {}).update(row)
    open_since = end * DAY
    opened = _live(store, ws_id, open_since, until, window_s, by_day=True, few=True)
    daily.update(_split(opened)[0])
    with q.reading(store) as conn:
        for (exp, variant), h in _histogram(conn, ws_id, open_since, until).items():
            histograms.setdefault((exp, variant), Counter()).update(h)
        totals = _add(daily)
        # Each person counted has a day in the period, hence a total (a rebuild racing this
        # report aside: then the figure waits for the next report rather than fail this one).
        for (exp, variant), n in _visitors(store, conn, ws_id, first, open_since, until).items():
            if (exp, variant, q.TOTAL) in totals:
                totals[(exp, variant, q.TOTAL)]["visitors"] = n
        for (exp, variant, type_), n in _converters(
            conn, ws_id, window_s, first, open_since, until
        ).items():
            if (exp, variant, q.TOTAL) in totals:
                totals[(exp, variant, q.TOTAL)][type_] = n
        for (exp, variant, _), row in totals.items():
            if "requests" in row:
                h = histograms.get((exp, variant), Counter())
                for name, p in PERCENTILES.items():
                    row[name] = _percentile(conn, ws_id, exp, variant, first * DAY, until, h, p)
    return daily, totals


def choices(
    store: Store, ws_id: int, since: float, until: float, *, rollups: bool = True
) -> dict[q.Key, q.Choices]:
    """How often each choice was answered in the period, per experience and variant (day
    :data:`~tastemaker.store.metrics.TOTAL`): the closed days' counts from the rollups, where
    they apply (as :func:`counts`)."""
    span = _closed_span(since, until) if rollups else None
    if span is None:
        return q.answer_choices(store, ws_id, since, until, by_day=False)
    first, end = span
    refresh(store, ws_id, first, [])
    stmt = select(rollup_days.c.experience_key, rollup_days.c.variant, rollup_days.c.counts).where(
        rollup_days.c.workspace_id == ws_id,
        rollup_days.c.window_s == BASE,
        rollup_days.c.day >= first,
        rollup_days.c.day < end,
    )
    out: dict[q.Key, Counter[tuple[str, str]]] = {}
    with store.engine.connect() as conn:
        for exp, variant, text in conn.execute(stmt):
            answered = orjson.loads(text).get(CHOICES)
            if answered:
                total = out.setdefault((exp, variant, q.TOTAL), Counter())
                total.update({(k, c): n for k, c, n in answered})
    for key, counted in q.answer_choices(store, ws_id, end * DAY, until, by_day=False).items():
        out.setdefault(key, Counter()).update(counted)
    return {key: dict(counted) for key, counted in out.items()}


def _add(daily: Counts) -> Counts:
    """The totals of what adds up over days; the means from their sums."""
    totals: Counts = {}
    for (exp, variant, _), row in daily.items():
        total = totals.setdefault((exp, variant, q.TOTAL), {})
        for name, value in row.items():
            if name in CONVERSION_TYPES:
                total.setdefault(name, 0)  # distinct people: counted apart
            elif name not in NOT_ADDITIVE:
                total[name] = total.get(name, 0) + value
    for total in totals.values():
        if "requests" in total:
            total["visitors"] = 0
            total["fallback_rate"] = total["fallbacks"] / total["requests"]
            n = total["confidence_n"]
            total["mean_confidence"] = total["confidence_sum"] / n if n else None
    return totals


def _last_seen(
    conn: Connection, ws_id: int, window_s: float, first: int
) -> dict[tuple[str, str, str], int]:
    """People whose last closed day is ``first`` or later, per (figure, experience, variant)."""
    p = rollup_people_days
    keys = (p.c.figure, p.c.experience_key, p.c.variant)
    stmt = (
        select(*keys, func.sum(p.c.people))
        .where(p.c.workspace_id == ws_id, p.c.window_s == window_s, p.c.last_day >= first)
        .group_by(*keys)
    )
    return {(f, e, v): int(n) for f, e, v, n in conn.execute(stmt)}


def _visitors(
    store: Store, conn: Connection, ws_id: int, first: int, open_since: float, until: float
) -> dict[tuple[str, str], int]:
    """Distinct people served since ``first``: last seen on a closed day since then, or seen
    on an open day and not on such a closed day."""
    v = rollup_visitors
    out = {(e, var): n for (_, e, var), n in _last_seen(conn, ws_id, BASE, first).items()}
    # The open days' people (a day's worth), and which of them a closed day has seen: looked
    # up by person, where the planner would hash every closed row for a long period.
    person = func.coalesce(served.c.user_id, served.c.request_id)
    in_open = (
        served.c.workspace_id == ws_id,
        served.c.created_at >= open_since,
        served.c.created_at < until,
    )
    opened = select(served.c.experience_key, served.c.variant, person).where(*in_open)
    people = set(conn.execute(opened.distinct()).tuples())
    seen = select(v.c.experience_key, v.c.variant, v.c.person).where(
        v.c.workspace_id == ws_id,
        v.c.last_day >= first,
        q.among_few(v.c.person, select(person).where(*in_open), store),
    )
    people.difference_update(conn.execute(seen).tuples())
    for e, var, _ in people:
        out[(e, var)] = out.get((e, var), 0) + 1
    return out


def _converters(
    conn: Connection, ws_id: int, window_s: float, first: int, open_since: float, until: float
) -> dict[tuple[str, str, str], int]:
    """Distinct people with a last-touch conversion per type since ``first``: last credited
    on a closed day since then, or credited on an open day and not on such a closed day."""
    c = rollup_converters
    keys = (c.c.experience_key, c.c.variant, c.c.type)
    scope = (c.c.workspace_id == ws_id, c.c.window_s == window_s, c.c.last_day >= first)
    out = {(e, v, t): n for (t, e, v), n in _last_seen(conn, ws_id, window_s, first).items()}
    att = q.attribution_select(ws_id, CONVERSION_TYPES, window_s, open_since, until).subquery()
    credited = select(att.c.experience_key, att.c.variant, att.c.type, att.c.person).where(
        att.c.rank == 1, att.c.served_at >= open_since, att.c.served_at < until
    )
    people = set(conn.execute(credited.distinct()).tuples())  # a day's worth
    names = sorted({p for *_, p in people})
    for start in range(0, len(names), 1000):
        seen = select(*keys, c.c.person).where(*scope, c.c.person.in_(names[start : start + 1000]))
        people.difference_update(conn.execute(seen).tuples())
    for e, v, t, _ in people:
        out[(e, v, t)] = out.get((e, v, t), 0) + 1
    return out


def _bucket(latency: Any) -> Any:
    return q.floor_of(latency * BUCKETS_PER_MS)


def _histogram(
    conn: Connection, ws_id: int, since: float, until: float, by_day: bool = False
) -> dict[Any, Counter[int]]:
    """Latencies counted per 0.1 ms bucket, per (experience, variant[, day])."""
    bucket = _bucket(served.c.latency_ms).label("bucket")
    keys: list[Any] = [served.c.experience_key, served.c.variant]
    if by_day:
        keys.append(q.day_of(served.c.created_at).label("day"))
    stmt = (
        select(*keys, bucket, func.count())
        .where(
            served.c.workspace_id == ws_id,
            served.c.created_at >= since,
            served.c.created_at < until,
            served.c.latency_ms.is_not(None),
        )
        .group_by(*keys, bucket)
    )
    out: dict[Any, Counter[int]] = {}
    for r in conn.execute(stmt):
        key = (r[0], r[1], int(r[2])) if by_day else (r[0], r[1])
        out.setdefault(key, Counter())[int(r.bucket)] = int(r[-1])
    return out


def _percentile(
    conn: Connection,
    ws_id: int,
    exp: str,
    variant: str,
    since: float,
    until: float,
    histogram: Mapping[int, int],
    p: int,
) -> float | None:
    """The nearest-rank ``p``-th percentile: its bucket from the histogram, its value from
    the results in that bucket (``ix_served_latency``)."""
    n = sum(histogram.values())
    if not n:
        return None
    rank = (p * n + 99) // 100  # ceil(p * n / 100), the rank percentile_disc takes
    below = 0
    for bucket in sorted(histogram):
        if below + histogram[bucket] >= rank:
            break
        below += histogram[bucket]
    lat = served.c.latency_ms
    these = (
        served.c.workspace_id == ws_id,
        served.c.experience_key == exp,
        served.c.variant == variant,
        served.c.created_at >= since,
        served.c.created_at < until,
    )
    in_bucket = (
        # The range lets the index find the bucket (a bucket either side against rounding);
        # the bucket's own expression decides, as it did when the histogram was counted.
        lat >= (bucket - 1) / BUCKETS_PER_MS,
        lat < (bucket + 2) / BUCKETS_PER_MS,
        _bucket(lat) == bucket,
    )
    stmt = select(lat).where(*these, *in_bucket).order_by(lat).offset(rank - below - 1).limit(1)
    value = conn.execute(stmt).scalar_one_or_none()
    if value is None:
        # Rows changed between the rollup and now (a write racing this report): rank them all.
        n = conn.execute(select(func.count(lat)).where(*these)).scalar_one()
        if not n:
            return None
        rank = (p * int(n) + 99) // 100
        stmt = select(lat).where(*these, lat.is_not(None)).order_by(lat).offset(rank - 1)
        value = conn.execute(stmt.limit(1)).scalar_one()
    return float(value)


# -- building ----------------------------------------------------------------------------------


def refresh(
    store: Store,
    ws_id: int,
    first: int,
    windows: Sequence[float],
) -> int:
    """Build the closed days since ``first`` that are missing or marked; returns days built.

    ``windows`` are the attribution windows (seconds) whose conversions to build besides the
    part every window shares. A marked day loses its other windows' rows (built again when a
    report asks for them).
    """
    end = settled_day()
    if first >= end:
        return 0
    parts = sorted({BASE, *windows})
    with store.engine.connect() as conn:
        marks = conn.execute(
            select(rollup_dirty.c.id, rollup_dirty.c.day).where(
                rollup_dirty.c.workspace_id == ws_id,
                rollup_dirty.c.day >= first,
                rollup_dirty.c.day < end,
            )
        ).all()
        built = {
            (float(w), int(d))
            for w, d in conn.execute(
                select(rollup_built.c.window_s, rollup_built.c.day).where(
                    rollup_built.c.workspace_id == ws_id,
                    rollup_built.c.window_s.in_(parts),
                    rollup_built.c.day >= first,
                    rollup_built.c.day < end,
                )
            )
        }
    dirty = {int(d) for _, d in marks}
    todo = {
        part: [d for d in range(first, end) if d in dirty or (part, d) not in built]
        for part in parts
    }
    if not any(todo.values()):
        return 0
    for part, days in todo.items():
        for a, b in _runs(days):
            _write_days(store, ws_id, part, a, b)
    with _writing(store, ws_id) as conn:
        ids = [int(i) for i, _ in marks]
        for start in range(0, len(ids), 500):
            conn.execute(
                delete(rollup_dirty).where(rollup_dirty.c.id.in_(ids[start : start + 500]))
            )
        if dirty:
            conn.execute(
                delete(rollup_built).where(
                    rollup_built.c.workspace_id == ws_id,
                    rollup_built.c.day.in_(sorted(dirty)),
                    rollup_built.c.window_s.not_in(parts),
                )
            )
        at = time.time()
        for part, days in todo.items():
            if days:
                conn.execute(
                    delete(rollup_built).where(
                        rollup_built.c.workspace_id == ws_id,
                        rollup_built.c.window_s == part,
                        rollup_built.c.day.in_(days),
                    )
                )
                conn.execute(
                    rollup_built.insert(),
                    [
                        {"workspace_id": ws_id, "window_s": part, "day": d, "built_at": at}
                        for d in days
                    ],
                )
        for part, days in todo.items():
            if days and part == BASE:
                _refresh_visitors(conn, ws_id, days, end)
            elif days:
                _refresh_converters(conn, ws_id, part, days, end)
    return len(set().union(*todo.values()))


def _runs(days: Sequence[int]) -> Iterator[tuple[int, int]]:
    """Sorted days as [a, b) runs of consecutive days, at most :data:`CHUNK_DAYS` each."""
    i = 0
    while i < len(days):
        j = i
        while j + 1 < len(days) and days[j + 1] == days[j] + 1 and j + 1 - i < CHUNK_DAYS:
            j += 1
        yield days[i], days[j] + 1
        i = j + 1


@contextmanager
def _writing(store: Store, ws_id: int) -> Iterator[Connection]:
    """A write transaction, one per workspace at a time (rebuilds replace rows)."""
    if store.dialect == "sqlite":
        with store.engine.execution_options(sqlite_begin="BEGIN IMMEDIATE").begin() as conn:
            yield conn
        return
    with store.engine.begin() as conn:
        conn.exec_driver_sql("SELECT pg_advisory_xact_lock(%s, %s)", (ROLLUP_LOCK, ws_id))
        conn.exec_driver_sql(f"SET LOCAL work_mem = '{q.REPORT_WORK_MEM}'")
        conn.exec_driver_sql("SET LOCAL max_parallel_workers_per_gather = 0")
        yield conn


def _write_days(store: Store, ws_id: int, part: float, a: int, b: int) -> None:
    """Compute days [a, b) of one part (what every window shares, or one window's
    conversions) as the live queries do, and replace their rows."""
    since, until = a * DAY, b * DAY
    if part == BASE:
        rows = _base_live(store, ws_id, since, until, by_day=True)
        with q.reading(store) as conn:
            for key, hist in _histogram(conn, ws_id, since, until, by_day=True).items():
                rows.setdefault(key, {})[HISTOGRAM] = {str(k): n for k, n in hist.items()}
        for key, answered in q.answer_choices(store, ws_id, since, until, by_day=True).items():
            rows.setdefault(key, {})[CHOICES] = [[k, c, n] for (k, c), n in answered.items()]
    else:
        rows = _conversions_live(store, ws_id, since, until, part, by_day=True)
    in_days = (
        rollup_days.c.workspace_id == ws_id,
        rollup_days.c.window_s == part,
        rollup_days.c.day >= a,
        rollup_days.c.day < b,
    )
    with _writing(store, ws_id) as conn:
        conn.execute(delete(rollup_days).where(*in_days))
        if rows:
            conn.execute(
                rollup_days.insert(),
                [
                    {
                        "workspace_id": ws_id,
                        "window_s": part,
                        "day": day,
                        "experience_key": exp,
                        "variant": variant,
                        "counts": orjson.dumps(row).decode(),
                    }
                    for (exp, variant, day), row in rows.items()
                ],
            )


def _refresh_last_days(
    conn: Connection,
    table: Table,
    scope: Sequence[Any],
    days: Sequence[int],
    affected: Any,
    latest: Callable[[Table | None], Any],
    tally: Callable[[set[int] | None], None],
    oldest: int,
) -> None:
    """Replace the rows (of ``scope``) of the people ``affected`` by rebuilding ``days`` with
    ``latest(people)``: their last closed day, from the rows the figure counts (``people``, a
    table of them; None: everyone, in one aggregate, when many days were rebuilt); then
    ``tally`` the last days that lost or gained people (None: all).

    People last seen before ``oldest``, the first day a report can ask for, go (no report
    counts them; ``latest`` looks no further back).
    """
    names = [c.name for c in table.c]
    stale = select(table.c.last_day).where(*scope, table.c.last_day < oldest).distinct()
    gone = {int(d) for d in conn.execute(stale).scalars()}
    if gone:
        conn.execute(delete(table).where(*scope, table.c.last_day < oldest))
    if len(days) > FULL_REFRESH_DAYS:
        conn.execute(delete(table).where(*scope))
        conn.execute(table.insert().from_select(names, latest(None)))
        tally(None)
        return
    people = Table(
        "tm_rollup_people",
        MetaData(),
        Column("person", String(ID_LEN), primary_key=True),
        prefixes=["TEMPORARY"],
    )
    people.create(conn)  # gone with the transaction if anything below fails
    conn.execute(people.insert().from_select(["person"], affected))
    theirs = (*scope, table.c.person.in_(select(people.c.person)))
    last_days = select(table.c.last_day).where(*theirs).distinct()
    touched = {int(d) for d in conn.execute(last_days).scalars()}
    conn.execute(delete(table).where(*theirs))
    conn.execute(table.insert().from_select(names, latest(people)))
    touched |= {int(d) for d in conn.execute(last_days).scalars()}
    people.drop(conn)
    tally(touched | gone)


def _tally(
    conn: Connection,
    ws_id: int,
    table: Table,
    scope: Sequence[Any],
    window_s: float,
    figure: Any,
) -> Callable[[set[int] | None], None]:
    """Recount ``rollup_people_days`` for some last days (None: all) from ``table``'s rows
    (``scope`` of them, ``figure`` naming what they count)."""
    p = rollup_people_days

    def recount(days: set[int] | None) -> None:
        if days is not None and not days:
            return
        picked = [] if days is None else [sorted(days)]
        conn.execute(
            delete(p).where(
                p.c.workspace_id == ws_id,
                p.c.window_s == window_s,
                *(p.c.last_day.in_(d) for d in picked),
            )
        )
        keys = (table.c.experience_key, table.c.variant, table.c.last_day)
        rows = (
            select(literal(ws_id), literal(window_s), figure, *keys, func.count())
            .where(*scope, *(table.c.last_day.in_(d) for d in picked))
            # a constant figure is no grouping key (PostgreSQL refuses one)
            .group_by(*keys, *([figure] if isinstance(figure, Column) else []))
        )
        names = ["workspace_id", "window_s", "figure", "experience_key", "variant"]
        conn.execute(p.insert().from_select([*names, "last_day", "people"], rows))

    return recount


def _refresh_visitors(conn: Connection, ws_id: int, days: Sequence[int], end: int) -> None:
    """Each affected person's last closed day served, from the served results themselves.

    Affected: those served on a rebuilt day, and those whose last day was one (their results
    there may be gone, or another person's now).
    """
    v = rollup_visitors
    oldest = end - MAX_DAYS - 1
    lo, hi = oldest * DAY, end * DAY
    person = func.coalesce(served.c.user_id, served.c.request_id)
    day = q.day_of(served.c.created_at)
    in_closed = (
        served.c.workspace_id == ws_id,
        served.c.created_at >= lo,
        served.c.created_at < hi,
    )
    served_then = select(person).where(
        served.c.workspace_id == ws_id,
        served.c.created_at >= min(days) * DAY,
        served.c.created_at < (max(days) + 1) * DAY,
        day.in_(list(days)),
    )
    last_then = select(v.c.person).where(v.c.workspace_id == ws_id, v.c.last_day.in_(days))

    def latest(people: Table | None) -> Any:
        cols = (served.c.experience_key, served.c.variant)
        if people is None:
            return (
                select(literal(ws_id), *cols, person, func.max(day))
                .where(*in_closed)
                .group_by(*cols, person)
            )
        by_user = (
            select(*cols, served.c.user_id.label("person"), day.label("day"))
            .join(people, people.c.person == served.c.user_id)
            .where(*in_closed)
        )
        anonymous = (
            select(*cols, served.c.request_id.label("person"), day.label("day"))
            .join(people, people.c.person == served.c.request_id)
            .where(*in_closed, served.c.user_id.is_(None))
        )
        both = union_all(by_user, anonymous).subquery()
        keys = (both.c.experience_key, both.c.variant, both.c.person)
        return select(literal(ws_id), *keys, func.max(both.c.day)).group_by(*keys)

    scope = (v.c.workspace_id == ws_id,)
    tally = _tally(conn, ws_id, v, scope, BASE, literal(VISITORS))
    affected = union(served_then, last_then)
    _refresh_last_days(conn, v, scope, days, affected, latest, tally, oldest)


def _refresh_converters(
    conn: Connection, ws_id: int, window_s: float, days: Sequence[int], end: int
) -> None:
    """Each affected person's last closed day credited with a conversion (last touch), from
    the attribution itself.

    Affected: those credited on a rebuilt day, and those whose last day was one.
    """
    c = rollup_converters

    def credits(since: float, until: float, people: Any = None) -> Any:
        att = q.attribution_select(
            ws_id, CONVERSION_TYPES, window_s, since, until, people
        ).subquery()
        return (
            select(
                att.c.experience_key,
                att.c.variant,
                att.c.type,
                att.c.person,
                q.day_of(att.c.served_at).label("day"),
            )
            .where(att.c.rank == 1, att.c.served_at >= since, att.c.served_at < until)
            .subquery()
        )

    then = credits(min(days) * DAY, (max(days) + 1) * DAY)
    credited_then = select(then.c.person).where(then.c.day.in_(list(days)))
    scope = (c.c.workspace_id == ws_id, c.c.window_s == window_s)
    last_then = select(c.c.person).where(*scope, c.c.last_day.in_(days))

    oldest = end - MAX_DAYS - 1

    def latest(people: Table | None) -> Any:
        them = credits(oldest * DAY, end * DAY, None if people is None else select(people.c.person))
        keys = (them.c.experience_key, them.c.variant, them.c.type, them.c.person)
        return select(literal(ws_id), literal(window_s), *keys, func.max(them.c.day)).group_by(
            *keys
        )

    tally = _tally(conn, ws_id, c, scope, window_s, c.c.type)
    affected = union(credited_then, last_then)
    _refresh_last_days(conn, c, scope, days, affected, latest, tally, oldest)


__all__ = [
    "CONVERSION_TYPES",
    "ENGAGEMENT_TYPES",
    "PROMPT_TYPES",
    "SETTLE_S",
    "Counts",
    "choices",
    "counts",
    "refresh",
    "settled_day",
]
