"""What an evaluation case is and how a ranking is scored, to the letter of the shared scorers.

A case (:class:`Case`) is the :class:`Query` a recommender may see (``case_id``, ``user_id``,
``prompt``, ``context``) plus the fields only this module reads: ``relevant``, ``prompt_kind``
and ``constraints``. Keeping the two apart in types is what guarantees that no recommender is
ever handed the answer key.

The metrics follow the benchmark scorers (``score.py``, ``score_constraints.py``) exactly, so
``tastemaker eval`` and the scorers print the same numbers: lists are scored as given, the top 10
is the first 10 distinct ids, gains are binary with a ``log2(rank + 1)`` discount, and for
constraints an unknown id, an empty slot or an item lacking a constrained attribute fails.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import orjson
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from tastemaker.errors import InvalidInput
from tastemaker.types import RequestContext

__all__ = [
    "METRICS",
    "Case",
    "Constraint",
    "Query",
    "SystemRun",
    "constraint_precision",
    "ranking_metrics",
    "read_cases",
    "score_system",
]

TOP = 10  # the cut-off of HR, NDCG, MRR and constraint precision
RECALL_AT = 50
METRICS = ("HR@10", "NDCG@10", "MRR@10", "Recall@50")


# -- cases -----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Query:
    """What a recommender is handed for one case: never the answer key."""

    case_id: str
    user_id: str | None
    prompt: str
    context: RequestContext | None = None


@dataclass(frozen=True, slots=True)
class Constraint:
    """One hard constraint on an item attribute, as the constraint scorer defines it.

    Keys of a case's ``constraints`` read ``<attribute>_<op>``: ``genres_any`` (the item has at
    least one of the values), ``genres_none`` (none of them), ``year_min`` / ``year_max``
    (inclusive bounds). An empty list or null means "not given", as in the scorer.
    """

    attribute: str
    op: str  # "any" | "none" | "min" | "max"
    values: frozenset[str] = frozenset()
    bound: float = 0.0

    def passes(self, attributes: Mapping[str, Any] | None) -> bool:
        """Whether an item (None = unknown id or empty slot) meets this constraint."""
        if attributes is None:
            return False
        value = attributes.get(self.attribute)
        if self.op in ("any", "none"):
            have = _value_set(value)
            return bool(have & self.values) if self.op == "any" else not (have & self.values)
        number = _number(value)
        if number is None:  # an unknown year fails a year constraint
            return False
        return number >= self.bound if self.op == "min" else number <= self.bound


def _value_set(value: Any) -> set[str]:
    if isinstance(value, list):
        return {v for v in value if isinstance(v, str)}
    return {value} if isinstance(value, str) else set()


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            return None
    return None


def _parse_constraints(raw: Mapping[str, Any]) -> tuple[Constraint, ...]:
    out: list[Constraint] = []
    for key, value in raw.items():
        attribute, _, op = key.rpartition("_")
        if not attribute or op not in ("any", "none", "min", "max"):
            raise ValueError(
                f"unknown constraint {key!r}; expected <attribute>_any, _none, _min or _max"
            )
        if value is None or value == []:
            continue
        if op in ("any", "none"):
            if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                raise ValueError(f"{key} must be a list of strings")
            out.append(Constraint(attribute, op, values=frozenset(value)))
        else:
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise ValueError(f"{key} must be a number or null")
            out.append(Constraint(attribute, op, bound=float(value)))
    return tuple(out)


@dataclass(frozen=True, slots=True)
class Case:
    """One evaluation case: the query plus the optional fields only scoring reads."""

    query: Query
    relevant: frozenset[str] | None = None
    prompt_kind: str | None = None
    constraints: tuple[Constraint, ...] | None = None


class _ContextIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    hour: int | None = Field(None, ge=0, le=23)
    time_of_day: str | None = None
    device: str | None = None
    locale: str | None = None
    extra: dict[str, str] = Field(default_factory=dict)


class _CaseIn(BaseModel):
    # Extra fields are ignored (not forbidden): benchmark files carry their own metadata.
    model_config = ConfigDict(extra="ignore", coerce_numbers_to_str=True)

    case_id: str = Field(min_length=1)
    user_id: str | None = Field(None, min_length=1, max_length=128)
    prompt: str = ""
    context: _ContextIn | None = None
    relevant: list[str] | None = None
    prompt_kind: str | None = None
    constraints: dict[str, Any] | None = None

    @field_validator("constraints")
    @classmethod
    def _check_constraints(cls, v: dict[str, Any] | None) -> dict[str, Any] | None:
        if v is not None:
            _parse_constraints(v)
        return v


def read_cases(path: str | Path) -> list[Case]:
    """Read and validate a cases JSONL file; errors name ``file:line`` and the field."""
    p = Path(path)
    if not p.is_file():
        raise InvalidInput("file not found", field="cases", location=str(p))
    cases: list[Case] = []
    seen: set[str] = set()
    with p.open("rb") as fh:
        for lineno, line in enumerate(fh, start=1):
            if not line.strip():
                continue
            location = f"{p.name}:{lineno}"
            try:
                row = _CaseIn.model_validate(orjson.loads(line))
            except orjson.JSONDecodeError as exc:
                raise InvalidInput(f"invalid JSON: {exc}", location=location) from exc
            except ValidationError as exc:
                err = exc.errors()[0]
                where = ".".join(str(x) for x in err["loc"]) or None
                msg = str(err["msg"]).removeprefix("Value error, ")
                raise InvalidInput(msg, field=where, location=location) from exc
            if row.case_id in seen:
                raise InvalidInput("duplicate case_id", field="case_id", location=location)
            seen.add(row.case_id)
            context = None
            if row.context is not None:
                context = RequestContext(**row.context.model_dump())
            cases.append(
                Case(
                    query=Query(row.case_id, row.user_id, row.prompt, context),
                    relevant=None if row.relevant is None else frozenset(row.relevant),
                    prompt_kind=row.prompt_kind,
                    constraints=None
                    if row.constraints is None
                    else _parse_constraints(row.constraints),
                )
            )
    return cases


# -- metrics ---------------------------------------------------------------------------------


def _distinct(ranked: Sequence[str], n: int) -> list[str]:
    """The first ``n`` distinct ids, keeping first occurrences (as the scorers do)."""
    out: list[str] = []
    seen: set[str] = set()
    for item in ranked:
        if item not in seen:
            seen.add(item)
            out.append(item)
            if len(out) == n:
                break
    return out


def ranking_metrics(ranked: Sequence[str], relevant: frozenset[str]) -> dict[str, float]:
    """HR@10, NDCG@10, MRR@10 and Recall@50 of one list, exactly as ``score.py`` computes them."""
    top = _distinct(ranked, RECALL_AT)
    hits = [i for i, item in enumerate(top[:TOP]) if item in relevant]
    dcg = sum(1.0 / math.log2(i + 2) for i in hits)
    idcg = sum(1.0 / math.log2(i + 2) for i in range(min(len(relevant), TOP)))
    return {
        "HR@10": 1.0 if hits else 0.0,
        "NDCG@10": dcg / idcg if idcg else 0.0,
        "MRR@10": 1.0 / (hits[0] + 1) if hits else 0.0,
        "Recall@50": len(relevant & set(top)) / len(relevant) if relevant else 0.0,
    }


def constraint_precision(
    ranked: Sequence[str],
    constraints: Sequence[Constraint],
    attributes: Mapping[str, Mapping[str, Any]],
) -> float:
    """Share of the 10 top slots whose item meets every constraint (empty slots fail)."""
    top = _distinct(ranked, TOP)
    ok = sum(1 for item in top if all(c.passes(attributes.get(item)) for c in constraints))
    return ok / TOP


# -- scoring a run ---------------------------------------------------------------------------


@dataclass(slots=True)
class SystemRun:
    """What one recommender produced over all cases."""

    name: str
    rankings: dict[str, list[str]]
    latencies_ms: list[float]
    fallbacks: int | None = None
    errors: list[str] = field(default_factory=list)


def _mean(values: Sequence[float]) -> float:
    return float(sum(values) / len(values)) if values else 0.0


def score_system(
    run: SystemRun,
    cases: Sequence[Case],
    attributes: Mapping[str, Mapping[str, Any]],
    seen: Mapping[str, set[str]],
) -> dict[str, Any]:
    """The report of one system: metrics overall and per prompt kind, constraints, latency.

    ``seen`` maps a user to the item ids they have events with: such an item in a top 10 can
    never be a hit, so ``seen_in_top10`` counts wasted slots.
    """
    groups: dict[str, list[dict[str, float]]] = {}
    precision: list[float] = []
    satisfied: list[float] = []
    seen_in_top = 0
    for case in cases:
        ranked = run.rankings.get(case.query.case_id, [])
        top = _distinct(ranked, TOP)
        if case.query.user_id is not None:
            had = seen.get(case.query.user_id, set())
            seen_in_top += sum(1 for item in top if item in had)
        if case.relevant is not None:
            m = ranking_metrics(ranked, case.relevant)
            groups.setdefault("overall", []).append(m)
            if case.prompt_kind is not None:
                groups.setdefault(case.prompt_kind, []).append(m)
        if case.constraints is not None:
            p = constraint_precision(ranked, case.constraints, attributes)
            precision.append(p)
            satisfied.append(1.0 if p == 1.0 else 0.0)
    ordered = ["overall", *sorted(g for g in groups if g != "overall")]
    lat = np.asarray(run.latencies_ms, dtype=np.float64)
    return {
        "groups": {
            g: {"n": len(groups[g])} | {k: _mean([m[k] for m in groups[g]]) for k in METRICS}
            for g in ordered
            if g in groups
        },
        "constraints": None
        if not precision
        else {
            "n": len(precision),
            "constraint_precision@10": _mean(precision),
            "all_satisfied_rate": _mean(satisfied),
        },
        "latency_ms": {
            "p50": float(np.percentile(lat, 50)) if len(lat) else 0.0,
            "p99": float(np.percentile(lat, 99)) if len(lat) else 0.0,
            "mean": float(lat.mean()) if len(lat) else 0.0,
        },
        "fallbacks": run.fallbacks,
        "errors": len(run.errors),
        "seen_in_top10": seen_in_top,
    }
