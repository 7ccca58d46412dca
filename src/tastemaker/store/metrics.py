"""The measure area's SQL: attribution of conversions, and the counts behind every metric.

Every metric is an aggregate computed by the database (SQLAlchemy Core, the same statements on
SQLite and PostgreSQL), so a report over millions of events moves a few rows per
experience, variant and day into Python, never the events themselves. Percentiles use the
nearest-rank definition through window functions, which both databases have (SQLite >= 3.25),
rather than PostgreSQL's ``percentile_cont``, which SQLite lacks.

Users are already stitched when stored (:mod:`tastemaker.store.measure`), so ``user_id`` is the
person and attribution joins on it through the index on served results.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal, cast

from sqlalchemy import (
    ColumnElement,
    Connection,
    Integer,
    and_,
    any_,
    case,
    distinct,
    func,
    literal,
    or_,
    select,
    tuple_,
    union_all,
)
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.expression import FunctionElement

from tastemaker.store.journey_tables import prompt_answers
from tastemaker.store.models import events, served

if TYPE_CHECKING:
    from sqlalchemy.sql.compiler import SQLCompiler

    from tastemaker.store.store import Store

DAY = 86400.0


class day_of(FunctionElement[int]):
    """Whole UTC days since the epoch of a float epoch-seconds column.

    ``CAST(x AS INTEGER)`` truncates on SQLite but rounds on PostgreSQL, so each dialect gets
    the spelling that floors (timestamps are positive, so truncation is flooring).
    """

    type = Integer()
    inherit_cache = True


@compiles(day_of)
def _day_of_default(element: day_of, compiler: SQLCompiler, **kw: Any) -> str:
    return f"CAST(({compiler.process(element.clauses, **kw)}) / {DAY} AS INTEGER)"


@compiles(day_of, "postgresql")
def _day_of_pg(element: day_of, compiler: SQLCompiler, **kw: Any) -> str:
    return f"CAST(floor(({compiler.process(element.clauses, **kw)}) / {DAY}) AS INTEGER)"


def utc_day(ts: float) -> int:
    """The UTC day of an epoch-seconds time, in Python: :class:`day_of`'s twin (the rollups
    compare the days of rows they read with days computed here, so the two must agree)."""
    return int(ts // DAY)


class floor_of(FunctionElement[int]):
    """``floor(x)`` as an integer, on both dialects.

    SQLite's ``floor()`` needs its math extension (not always compiled in), so it gets
    truncation corrected for negative values; PostgreSQL has ``floor``.
    """

    type = Integer()
    inherit_cache = True


@compiles(floor_of)
def _floor_of_default(element: floor_of, compiler: SQLCompiler, **kw: Any) -> str:
    x = compiler.process(element.clauses, **kw)
    return f"(CAST(({x}) AS INTEGER) - (({x}) < CAST(({x}) AS INTEGER)))"


@compiles(floor_of, "postgresql")
def _floor_of_pg(element: floor_of, compiler: SQLCompiler, **kw: Any) -> str:
    return f"CAST(floor({compiler.process(element.clauses, **kw)}) AS BIGINT)"


@dataclass(frozen=True, slots=True)
class Attribution:
    """One conversion event credited to one served result."""

    event_id: str
    type: str
    value: float | None
    ts: float
    request_id: str
    experience_key: str
    variant: str
    rank: int  # 1 = last touch; above 1 = assisted

    @property
    def last_touch(self) -> bool:
        return self.rank == 1


# Memory for each sort and hash of a report query on PostgreSQL. The default (4 MB) sends the
# report's sorts of a million served results to disk; 64 MB keeps them in memory, for the
# duration of one report query only. No parallel workers: in the measured plans each worker
# recomputed the whole request subquery (three times the work on two cores), and a report is
# one request among the API's others.
REPORT_WORK_MEM = "64MB"


@contextmanager
def reading(store: Store) -> Iterator[Connection]:
    """A connection for one report query (PostgreSQL: :data:`REPORT_WORK_MEM`, no workers)."""
    if store.dialect != "postgresql":
        with store.engine.connect() as conn:
            yield conn
        return
    with store.engine.begin() as conn:
        conn.exec_driver_sql(f"SET LOCAL work_mem = '{REPORT_WORK_MEM}'")
        conn.exec_driver_sql("SET LOCAL max_parallel_workers_per_gather = 0")
        yield conn


def among_few(column: Any, keys: Any, store: Store) -> ColumnElement[bool]:
    """``column IN (keys)`` for a subquery of few keys, looked up one by one through an index.

    On PostgreSQL as ``= ANY(ARRAY(keys))``: with ``IN (subquery)`` the planner may read the
    whole index (every month's, every row's) and join, because it cannot tell the keys are few.
    """
    if store.dialect == "postgresql":
        return cast("ColumnElement[bool]", column == any_(func.array(keys.scalar_subquery())))
    return cast("ColumnElement[bool]", column.in_(keys))


# -- attribution -------------------------------------------------------------------------------


def attribution_select(
    ws_id: int,
    types: Sequence[str],
    window_s: float,
    since: float,
    until: float,
    people: Any = None,
) -> Any:
    """Conversions joined to the results that may have caused them, ranked newest first.

    Only results served within ``window_s`` before the conversion count. One that the
    conversion names by ``request_id`` is credited first (the last touch); any other result
    served to the same person in the window is an assist, or the last touch when none is
    named. ``people``: a select of user ids, the only ones whose conversions to take (each
    conversion's credits are ranked among themselves, so they rank the same).
    """
    e = events.alias("e")
    s = served.alias("s")
    in_window = and_(
        s.c.workspace_id == ws_id,
        s.c.created_at <= e.c.ts,
        s.c.created_at >= e.c.ts - window_s,
        # Implied by the conversions' period below; said outright, it lets a short period
        # read its results through the index on time instead of every result.
        s.c.created_at >= since - window_s,
        s.c.created_at < until + window_s,
    )

    def credits(explicit: ColumnElement[Any]) -> list[Any]:
        return [
            e.c.id.label("eid"),
            e.c.event_id,
            e.c.type,
            e.c.value,
            e.c.ts,
            e.c.user_id.label("person"),
            s.c.id.label("sid"),
            s.c.request_id,
            s.c.experience_key,
            s.c.variant,
            s.c.created_at.label("served_at"),
            explicit.label("explicit"),
        ]

    conversions = (
        e.c.workspace_id == ws_id,
        e.c.type.in_(list(types)),
        e.c.ts >= since,
        e.c.ts < until + window_s,
        *(() if people is None else (e.c.user_id.in_(people),)),
    )
    # Two equi-joins, each served by an index ((workspace, user, created_at) and (workspace,
    # request_id)); one join with an OR of the two would be a nested scan.
    by_person = (
        select(*credits(case((s.c.request_id == e.c.request_id, 1), else_=0)))
        .select_from(e.join(s, and_(in_window, s.c.user_id == e.c.user_id)))
        .where(*conversions)
    )
    by_request = (
        select(*credits(literal(1, Integer)))
        .select_from(e.join(s, and_(in_window, s.c.request_id == e.c.request_id)))
        .where(*conversions, or_(s.c.user_id.is_(None), s.c.user_id != e.c.user_id))
    )
    both = union_all(by_person, by_request).subquery("credits")
    rank = (
        func.row_number()
        .over(
            partition_by=both.c.eid,
            order_by=(both.c.explicit.desc(), both.c.served_at.desc(), both.c.sid.desc()),
        )
        .label("rank")
    )
    return select(
        both.c.event_id,
        both.c.type,
        both.c.value,
        both.c.ts,
        both.c.person,
        both.c.request_id,
        both.c.experience_key,
        both.c.variant,
        both.c.served_at,
        rank,
    )


def attributions(
    store: Store,
    ws_id: int,
    types: Sequence[str],
    *,
    window_s: float,
    since: float = 0.0,
    until: float = float("inf"),
) -> list[Attribution]:
    """Every (conversion, result) credit; ``rank`` 1 is the last touch, the rest assisted."""
    until_v = until if until != float("inf") else 1e15
    sub = attribution_select(ws_id, types, window_s, since, until_v).subquery()
    stmt = select(sub).order_by(sub.c.ts, sub.c.event_id, sub.c.rank)
    with reading(store) as conn:
        return [
            Attribution(
                r.event_id,
                r.type,
                r.value,
                r.ts,
                r.request_id,
                r.experience_key,
                r.variant,
                int(r.rank),
            )
            for r in conn.execute(stmt)
        ]


# -- metrics -----------------------------------------------------------------------------------

Key = tuple[str, str, int]  # experience, variant, day (-1 when not grouped by day)
# True: a row per day; False: totals over the period; "both": both from one pass over the rows
# (the report needs both, and reading millions of events once instead of twice halves it).
ByDay = bool | Literal["both"]
TOTAL = -1


def _key(r: Any) -> Key:
    return (r[0], r[1], int(r[2]))


def _grouped(
    base: Any,
    keys: Sequence[str],
    aggregates: Callable[[Any], list[Any]],
    by_day: ByDay,
    extra: Sequence[str] = (),
    *,
    grouping_sets: bool = False,
) -> Any:
    """``aggregates`` of ``base`` grouped by ``keys`` and per day, over the period, or both.

    Rows are ``(*keys, day, *extra, *aggregates)``, ``day`` being :data:`TOTAL` for a total.
    Both at once is, on PostgreSQL (``grouping_sets``), one aggregation whose sort by
    ``(*keys, day)`` also yields the totals; elsewhere (SQLite has no GROUPING SETS) the union
    of the two groupings.
    """
    k = [base.c[n] for n in keys]
    x = [base.c[n] for n in extra]
    if by_day == "both" and grouping_sets:
        day = func.coalesce(base.c.day, literal(TOTAL, Integer)).label("day")
        return select(*k, day, *x, *aggregates(base)).group_by(
            func.grouping_sets(tuple_(*k, base.c.day, *x), tuple_(*k, *x))
        )
    per_day = select(*k, base.c.day, *x, *aggregates(base)).group_by(*k, base.c.day, *x)
    total = select(*k, literal(TOTAL, Integer).label("day"), *x, *aggregates(base)).group_by(*k, *x)
    if by_day == "both":
        return union_all(per_day, total)
    return per_day if by_day else total


def _count_by_type(
    store: Store, base: Any, keys: Sequence[str], by_day: ByDay, name: Callable[[str], str]
) -> dict[Key, dict[str, int]]:
    """Rows of ``base`` counted per key, day and ``type``, as ``{key: {name(type): n}}``;
    rows without an experience (events that name none) are left out."""
    stmt = _grouped(
        base,
        keys,
        lambda b: [func.count()],
        by_day,
        ("type",),
        grouping_sets=store.dialect == "postgresql",
    )
    out: dict[Key, dict[str, int]] = {}
    with reading(store) as conn:
        for r in conn.execute(stmt):
            if r[0] is not None:
                out.setdefault(_key(r), {})[name(r[-2])] = int(r[-1])
    return out


def _served_base(store: Store, ws_id: int, since: float, until: float, probe: bool) -> Any:
    """Served results with their answer kind, confidence and person, in the period.

    ``probe`` (few results): their answer logs are looked up by the period's request ids,
    which the planner otherwise finds by reading every answer log.
    """
    in_period = (
        served.c.workspace_id == ws_id,
        served.c.created_at >= since,
        served.c.created_at < until,
    )
    logged = [
        prompt_answers.c.workspace_id == ws_id,
        prompt_answers.c.request_id == served.c.request_id,
    ]
    if probe:
        requests = select(served.c.request_id).where(*in_period)
        logged.append(among_few(prompt_answers.c.request_id, requests, store))
    return (
        select(
            served.c.request_id,
            served.c.experience_key,
            served.c.variant,
            day_of(served.c.created_at).label("day"),
            served.c.fallback,
            served.c.latency_ms,
            func.coalesce(served.c.user_id, served.c.request_id).label("person"),
            func.coalesce(prompt_answers.c.kind, literal("answer")).label("kind"),
            prompt_answers.c.confidence,
        )
        .select_from(served)
        .outerjoin(prompt_answers, and_(*logged))
        .where(*in_period)
        .cte("sv")
    )


def _percentiles(sv: Any, by_day: bool) -> Any:
    """Nearest-rank p50 and p99 of latency per (experience, variant[, day])."""
    group = [sv.c.experience_key, sv.c.variant, *([sv.c.day] if by_day else [])]
    ranked = (
        select(
            *group,
            sv.c.latency_ms,
            func.row_number().over(partition_by=group, order_by=sv.c.latency_ms).label("rn"),
            func.count().over(partition_by=group).label("n"),
        )
        .where(sv.c.latency_ms.is_not(None))
        .subquery()
    )
    lat_group = [ranked.c[c.name] for c in group]
    day = lat_group[2] if by_day else literal(TOTAL, Integer).label("day")
    return select(
        *lat_group[:2],
        day,
        func.min(case((ranked.c.rn * 100 >= ranked.c.n * 50, ranked.c.latency_ms))).label("p50"),
        func.min(case((ranked.c.rn * 100 >= ranked.c.n * 99, ranked.c.latency_ms))).label("p99"),
    ).group_by(*lat_group)


def served_metrics(
    store: Store,
    ws_id: int,
    since: float,
    until: float,
    *,
    by_day: ByDay = True,
    probe: bool = False,
) -> dict[Key, dict[str, Any]]:
    """Requests, answers, visitors, fallback rate, confidence and latency percentiles.

    Also ``fallbacks``, ``confidence_sum`` and ``confidence_n``: the additive counts behind the
    two means (the daily rollups add them across days; the rates ignore them). ``probe``: the
    period has few results (the rollups' open day).
    """
    pg = store.dialect == "postgresql"
    sv = _served_base(store, ws_id, since, until, probe)

    def aggregates(b: Any) -> list[Any]:
        out = [
            func.count().label("requests"),
            func.sum(case((b.c.kind == "answer", 1), else_=0)).label("answered"),
            func.sum(case((b.c.kind == "followup", 1), else_=0)).label("followups"),
            func.sum(case((b.c.kind == "refine", 1), else_=0)).label("refinements"),
            func.count(distinct(b.c.person)).label("visitors"),
            func.avg(case((b.c.fallback, 1.0), else_=0.0)).label("fallback_rate"),
            func.avg(b.c.confidence).label("mean_confidence"),
            # The sums behind the two means, which the daily rollups add across days.
            func.sum(case((b.c.fallback, 1), else_=0)).label("fallbacks"),
            func.sum(b.c.confidence).label("confidence_sum"),
            func.count(b.c.confidence).label("confidence_n"),
        ]
        if pg:
            # percentile_disc(p) is the value at rank ceil(p * n) among the non-null ones:
            # the nearest rank, as the window functions below compute it on SQLite (the
            # report test compares the two), in the same aggregation pass.
            out += [
                func.percentile_disc(0.5).within_group(b.c.latency_ms).label("p50"),
                func.percentile_disc(0.99).within_group(b.c.latency_ms).label("p99"),
            ]
        return out

    main = _grouped(sv, ("experience_key", "variant"), aggregates, by_day, grouping_sets=pg)
    out: dict[Key, dict[str, Any]] = {}
    with reading(store) as conn:
        for r in conn.execute(main):
            out[_key(r)] = {
                "requests": int(r.requests),
                "answered": int(r.answered or 0),
                "followups": int(r.followups or 0),
                "refinements": int(r.refinements or 0),
                "visitors": int(r.visitors),
                "fallback_rate": float(r.fallback_rate or 0.0),
                "mean_confidence": None if r.mean_confidence is None else float(r.mean_confidence),
                "p50_latency_ms": None if not pg or r.p50 is None else float(r.p50),
                "p99_latency_ms": None if not pg or r.p99 is None else float(r.p99),
                "fallbacks": int(r.fallbacks or 0),
                "confidence_sum": float(r.confidence_sum or 0.0),
                "confidence_n": int(r.confidence_n),
            }
        if not pg:
            pct: Any = (
                union_all(_percentiles(sv, True), _percentiles(sv, False))
                if by_day == "both"
                else _percentiles(sv, bool(by_day))
            )
            for r in conn.execute(pct):
                row = out.setdefault(_key(r), {})
                row["p50_latency_ms"] = None if r.p50 is None else float(r.p50)
                row["p99_latency_ms"] = None if r.p99 is None else float(r.p99)
    return out


def prompt_events(
    store: Store,
    ws_id: int,
    types: Sequence[str],
    since: float,
    until: float,
    *,
    by_day: ByDay = True,
) -> dict[Key, dict[str, int]]:
    """Counts of prompt events (shown, abandoned) by the experience and variant they name."""
    base = (
        select(
            events.c.context["experience"].as_string().label("exp"),
            func.coalesce(events.c.context["variant"].as_string(), literal("default")).label(
                "variant"
            ),
            day_of(events.c.ts).label("day"),
            events.c.type,
        )
        .where(
            events.c.workspace_id == ws_id,
            events.c.type.in_(list(types)),
            events.c.ts >= since,
            events.c.ts < until,
        )
        .cte("pe")
    )
    return _count_by_type(store, base, ("exp", "variant"), by_day, lambda t: t)


def engagement(
    store: Store,
    ws_id: int,
    types: Sequence[str],
    since: float,
    until: float,
    *,
    by_day: ByDay = True,
    probe: bool = False,
) -> dict[Key, dict[str, int]]:
    """Per type, how many served results had at least one such event naming their request.

    Keys are ``engaged_<type>``, apart from the conversions' ``<type>`` keys. ``probe``: the
    period has few results (the rollups' open day), look each one's events up.
    """
    in_period = and_(
        served.c.workspace_id == ws_id,
        served.c.created_at >= since,
        served.c.created_at < until,
    )
    requests = select(served.c.request_id).where(in_period)
    # ``probe``: the period's requests looked up in each month's index; else the planner's way
    # (merging the whole index with them), better for many.
    if probe:
        named = among_few(events.c.request_id, requests, store)
    else:
        named = events.c.request_id.in_(requests)
    # Each (request, type) once: then counting rows is counting distinct requests (a request
    # belongs to one experience, variant and day), which aggregates by hashing, not sorting.
    # Only requests served in the period: a short period reads few of the events.
    engaged = (
        select(events.c.request_id, events.c.type)
        .where(
            events.c.workspace_id == ws_id,
            events.c.type.in_(list(types)),
            # PostgreSQL reads the partial index of events naming a request (migration 0007).
            events.c.request_id.is_not(None),
            named,
        )
        .distinct()
        .subquery("engaged")
    )
    base = (
        select(
            served.c.experience_key,
            served.c.variant,
            day_of(served.c.created_at).label("day"),
            engaged.c.type,
        )
        .select_from(served)
        .join(engaged, engaged.c.request_id == served.c.request_id)
        .where(in_period)
        .cte("en")
    )
    return _count_by_type(store, base, ("experience_key", "variant"), by_day, "engaged_{}".format)


def conversions(
    store: Store,
    ws_id: int,
    types: Sequence[str],
    *,
    window_s: float,
    since: float,
    until: float,
    by_day: ByDay = True,
) -> dict[Key, dict[str, float]]:
    """Attributed conversions by the served result's experience, variant and day.

    Per type: ``<type>`` counts converting people credited by last touch, ``<type>_value`` sums
    their values (revenue for purchases), ``<type>_assisted`` counts assisted credits.
    """
    sub = attribution_select(ws_id, types, window_s, since, until).subquery("att")
    base = (
        select(
            sub.c.experience_key,
            sub.c.variant,
            day_of(sub.c.served_at).label("day"),
            sub.c.type,
            sub.c.person,
            sub.c.value,
            sub.c.rank,
        )
        .where(sub.c.served_at >= since, sub.c.served_at < until)
        .cte("cv")
    )

    def aggregates(b: Any) -> list[Any]:
        last = b.c.rank == 1
        return [
            func.count(distinct(case((last, b.c.person)))).label("people"),
            func.sum(case((last, func.coalesce(b.c.value, 0.0)), else_=0.0)).label("value"),
            func.sum(case((last, 0), else_=1)).label("assisted"),
        ]

    stmt = _grouped(
        base,
        ("experience_key", "variant"),
        aggregates,
        by_day,
        ("type",),
        grouping_sets=store.dialect == "postgresql",
    )
    out: dict[Key, dict[str, float]] = {}
    with reading(store) as conn:
        for r in conn.execute(stmt):
            row = out.setdefault(_key(r), {})
            row[r.type] = int(r.people or 0)
            row[f"{r.type}_value"] = float(r.value or 0.0)
            row[f"{r.type}_assisted"] = int(r.assisted or 0)
    return out


Choices = dict[tuple[str, str], int]  # (kind, choice id) -> answers


def answer_choices(
    store: Store, ws_id: int, since: float, until: float, *, by_day: bool
) -> dict[Key, Choices]:
    """How often each choice was answered, per experience, variant and day of the answer (or
    :data:`TOTAL`), prompt and follow-up apart."""
    pa = prompt_answers
    day = day_of(pa.c.created_at) if by_day else literal(TOTAL, Integer)
    keys = (pa.c.experience_key, pa.c.variant)
    stmt = (
        select(*keys, day.label("day"), pa.c.kind, pa.c.choice_id, func.count())
        .where(
            pa.c.workspace_id == ws_id,
            pa.c.kind.in_(["answer", "followup"]),
            pa.c.choice_id.is_not(None),
            pa.c.created_at >= since,
            pa.c.created_at < until,
        )
        .group_by(*keys, *([day] if by_day else []), pa.c.kind, pa.c.choice_id)
    )
    out: dict[Key, Choices] = {}
    with reading(store) as conn:
        for e, v, d, k, c, n in conn.execute(stmt):
            out.setdefault((e, v, int(d)), {})[(k, c)] = int(n)
    return out


def answer_texts(
    store: Store,
    ws_id: int,
    experience_keys: Sequence[str],
    since: float,
    until: float,
    limit: int = 500,
) -> dict[str, list[tuple[str, int]]]:
    """Per experience, its ``limit`` most frequent free-text answers (lowercased), most
    frequent first; one pass over the period's answer logs for all the experiences."""
    pa = prompt_answers
    text = func.lower(pa.c.text)
    grouped = (
        select(pa.c.experience_key, text.label("t"), func.count().label("n"))
        .where(
            pa.c.workspace_id == ws_id,
            pa.c.experience_key.in_(list(experience_keys)),
            pa.c.kind.in_(["answer", "followup"]),
            pa.c.created_at >= since,
            pa.c.created_at < until,
            pa.c.text.is_not(None),
            pa.c.text != "",
        )
        .group_by(pa.c.experience_key, text)
        .subquery()
    )
    order = (grouped.c.n.desc(), grouped.c.t)
    rank = func.row_number().over(partition_by=grouped.c.experience_key, order_by=order)
    ranked = select(grouped, rank.label("rn")).subquery()
    stmt = (
        select(ranked.c.experience_key, ranked.c.t, ranked.c.n)
        .where(ranked.c.rn <= limit)
        .order_by(ranked.c.experience_key, ranked.c.rn)
    )
    out: dict[str, list[tuple[str, int]]] = {key: [] for key in experience_keys}
    with reading(store) as conn:
        for e, t, n in conn.execute(stmt):
            out[e].append((t, int(n)))
    return out


__all__ = [
    "TOTAL",
    "Attribution",
    "ByDay",
    "Choices",
    "Key",
    "among_few",
    "answer_choices",
    "answer_texts",
    "attribution_select",
    "attributions",
    "conversions",
    "day_of",
    "engagement",
    "floor_of",
    "prompt_events",
    "reading",
    "served_metrics",
    "utc_day",
]
