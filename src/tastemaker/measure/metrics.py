"""Metrics per experience, variant and day, led by each experience's objective and guardrails.

The database does the counting (:mod:`tastemaker.store.measure`); this module turns counts into
rates with the same definitions everywhere, and finds the themes of free-text answers:

- answer rate = answers / prompts shown; abandonment rate = prompts abandoned / prompts shown
  (both need the client's ``prompt_shown`` events; without them they are unknown, not 0)
- click-through, save, add-to-cart rates = results with at least one such event / results
- conversion rate = people converting on the objective (last touch) / visitors served
- revenue per visitor = last-touch purchase revenue / visitors served
- unsubscribe rate = people unsubscribing (last touch) / visitors served
- p50 / p99 latency (nearest rank), fallback rate, mean model confidence (see
  :func:`confidence`)

The day of a result's conversions is the day the result was served, so a day's figures do not
move when late conversions arrive from outside the attribution window.
"""

from __future__ import annotations

import logging
import time
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import numpy as np

from tastemaker.errors import InvalidInput, NotFound
from tastemaker.experiences import ExperienceSpec
from tastemaker.measure.events import (
    OBJECTIVE_EVENTS,
    PROMPT_ABANDONED,
    PROMPT_SHOWN,
    PURCHASE,
    UNSUBSCRIBE,
)
from tastemaker.store import metrics as q
from tastemaker.store import rollups as rollup
from tastemaker.store.measure import AnswerLog

if TYPE_CHECKING:
    from tastemaker.catalog import Catalog
    from tastemaker.encoders import Encoder
    from tastemaker.engine import Engine
    from tastemaker.store import Store
    from tastemaker.types import Answer

log = logging.getLogger(__name__)

DAY = q.DAY
MAX_REPORT_DAYS = rollup.MAX_DAYS
# Two free-text answers belong to one theme when their embeddings are at least this similar.
THEME_SIMILARITY = 0.5
MAX_THEMES = 8

OBJECTIVE_METRIC: dict[str, str] = {
    "email_capture": "conversion_rate",
    "add_to_cart": "conversion_rate",
    "trial_signup": "conversion_rate",
    "content_completion": "conversion_rate",
    "revenue": "revenue_per_visitor",
}
# Guardrails where a larger value is the bad direction (the others: smaller is bad).
HIGHER_IS_WORSE = frozenset(
    {"fallback_rate", "p99_latency_ms", "abandonment_rate", "unsubscribe_rate"}
)


def confidence(answer: Answer, catalog: Catalog | None) -> float | None:
    """How sure the model was of a result: mean semantic match of the shown items, in [0, 1].

    The cosine between the answer's embedding and each shown item's, clipped at 0; None for a
    fallback or when the answer had no words to embed (history alone decided), since then
    there is nothing the result could be confident about.
    """
    if answer.fallback or catalog is None or not answer.items:
        return None
    if answer.intent is None or answer.intent.vector is None:
        return None
    rows = [catalog.id_to_row[it.id] for it in answer.items if it.id in catalog.id_to_row]
    if not rows:
        return None
    sims = catalog.embeddings[np.asarray(rows)] @ answer.intent.vector
    return float(np.clip(sims, 0.0, 1.0).mean())


def answer_log(
    answer: Answer,
    ws_id: int,
    kind: str,
    parent: str | None,
    catalog: Catalog | None,
    choice: str | None,
    own_choice: bool,
) -> AnswerLog:
    """The answer log row of a served answer; ``own_choice``: log the captured choice.

    A follow-up or a refinement runs under a derived choice, so its caller names the person's
    own choice instead. Computing the confidence must never fail a request: it is None then.
    """
    try:
        conf = confidence(answer, catalog)
    except Exception:
        log.exception("confidence failed request_id=%s", answer.request_id)
        conf = None
    captured = answer.captured
    if own_choice:
        choice = None if captured is None else captured.choice_id
    return AnswerLog(
        workspace_id=ws_id,
        request_id=answer.request_id,
        kind=kind,
        experience_key=answer.experience_key,
        variant=answer.variant,
        user_id=answer.user_id,
        choice_id=choice,
        text=(captured.text or None) if captured is not None else None,
        confidence=conf,
        parent_request_id=parent,
        created_at=time.time(),
    )


def _ratio(num: float | None, den: float | None) -> float | None:
    if num is None or not den:
        return None
    return float(num) / float(den)


def derive(raw: Mapping[str, Any], objective: str) -> dict[str, Any]:
    """Rates from one bucket's counts (see the module docstring for the definitions)."""
    shown = raw.get(PROMPT_SHOWN)
    requests = raw.get("requests", 0)
    visitors = raw.get("visitors", 0)
    goal = OBJECTIVE_EVENTS[objective]
    revenue = float(raw.get(f"{PURCHASE}_value", 0.0))
    out: dict[str, Any] = {
        "prompts_shown": shown or 0,
        "answers": raw.get("answered", 0),
        "followups": raw.get("followups", 0),
        "refinements": raw.get("refinements", 0),
        "results": requests,
        "visitors": visitors,
        "answer_rate": _ratio(raw.get("answered", 0), shown),
        "abandonment_rate": _ratio(raw.get(PROMPT_ABANDONED, 0), shown),
        "click_through_rate": _ratio(raw.get("engaged_click", 0), requests),
        "save_rate": _ratio(raw.get("engaged_save", 0), requests),
        "add_to_cart_rate": _ratio(raw.get("engaged_add_to_cart", 0), requests),
        "conversions": int(raw.get(goal, 0)),
        "assisted_conversions": int(raw.get(f"{goal}_assisted", 0)),
        "conversion_rate": _ratio(raw.get(goal, 0), visitors),
        "revenue": round(revenue, 2),
        "revenue_per_visitor": _ratio(revenue, visitors),
        "unsubscribe_rate": _ratio(raw.get(UNSUBSCRIBE, 0), visitors),
        "p50_latency_ms": raw.get("p50_latency_ms"),
        "p99_latency_ms": raw.get("p99_latency_ms"),
        "fallback_rate": raw.get("fallback_rate") if requests else None,
        "mean_confidence": raw.get("mean_confidence"),
    }
    return out


@dataclass(frozen=True, slots=True)
class Period:
    since: float
    until: float

    @classmethod
    def last_days(cls, days: int, now: float) -> Period:
        end = (now // DAY + 1) * DAY  # the end of today (UTC)
        return cls(end - days * DAY, end)


def themes(
    texts: list[tuple[str, int]], encoder: Encoder | None, limit: int = MAX_THEMES
) -> list[dict[str, Any]]:
    """Group free-text answers by meaning and name each group by its most frequent answer.

    ``texts`` are (answer, count), most frequent first. Each answer joins the first theme
    whose leading answer's embedding is within :data:`THEME_SIMILARITY`, else starts one; so
    "something calm", "calm please" and "relaxing" can share a theme that a word count would
    split. Without an encoder only identical answers group.
    """
    total = sum(n for _, n in texts)
    if not total:
        return []
    vectors = encoder.encode([t for t, _ in texts]) if encoder is not None else None
    leaders: list[int] = []
    groups: list[list[int]] = []
    for i in range(len(texts)):
        home = None
        if vectors is not None and leaders:
            sims = vectors[leaders] @ vectors[i]
            best = int(np.argmax(sims))
            if sims[best] >= THEME_SIMILARITY:
                home = best
        if home is None:
            leaders.append(i)
            groups.append([i])
        else:
            groups[home].append(i)
    out: list[dict[str, Any]] = []
    for g in groups:
        count = sum(texts[i][1] for i in g)
        out.append(
            {
                "theme": texts[g[0]][0],
                "answers": count,
                "share": count / total,
                "examples": [texts[i][0] for i in g[:4]],
            }
        )
    out.sort(key=lambda t: (-t["answers"], t["theme"]))
    return out[:limit]


def _choice_shares(
    spec: ExperienceSpec, counts: Mapping[tuple[str, str, str], int]
) -> dict[str, dict[str, Any]]:
    """Per variant and question: choice label -> share of that question's choice answers."""
    out: dict[str, dict[str, Any]] = {}
    labels = {c.id: c.label for c in spec.prompt.choices}
    if spec.followup is not None:
        labels.update({c.id: c.label for c in spec.followup.choices})
    per: dict[tuple[str, str], Counter[str]] = {}
    for (variant, kind, choice), n in counts.items():
        per.setdefault((variant, kind), Counter())[labels.get(choice, choice)] += n
    for (variant, kind), counter in sorted(per.items()):
        total = sum(counter.values())
        question = "prompt" if kind == "answer" else "followup"
        out.setdefault(variant, {})[question] = {
            label: n / total for label, n in counter.most_common()
        }
    return out


def _day(d: int) -> str:
    return datetime.fromtimestamp(d * DAY, UTC).date().isoformat()


def report(
    store: Store,
    ws_id: int,
    specs: Mapping[str, ExperienceSpec],
    period: Period,
    *,
    encoder: Encoder | None = None,
    experience: str | None = None,
    rollups: bool = True,
) -> dict[str, Any]:
    """The whole report: per experience, its headline, variants (totals and days), answers.

    The counting queries run once per distinct attribution window among the experiences (the
    window is part of the attribution join), so a workspace where every experience keeps the
    default window costs one pass. All counts of all experiences are merged by (experience,
    variant, day): the closed days of a period that ends now from the daily rollups (equal to
    the live figures: :mod:`tastemaker.store.rollups`), the rest from the rows, each query
    family computing its days and totals in one pass. ``rollups=False`` computes every day
    from the rows.
    """
    keys = [k for k in sorted(specs) if experience is None or k == experience]
    windows = sorted({specs[k].measure.attribution_window_hours for k in keys})
    since, until = period.since, period.until
    by_window = {
        w: rollup.counts(store, ws_id, since, until, w * 3600.0, rollups=rollups) for w in windows
    }
    choices = rollup.choices(store, ws_id, since, until, rollups=rollups)
    texts = q.answer_texts(store, ws_id, keys, since, until)
    out = []
    for key in keys:
        spec = specs[key]
        objective = spec.measure.objective
        daily, totals = by_window[spec.measure.attribution_window_hours]
        variants = sorted({v for (e, v, _) in totals if e == key})
        rows: list[dict[str, Any]] = []
        for variant in variants:
            total = derive(totals[(key, variant, -1)], objective)
            days = [
                {"day": _day(d), **derive(raw, objective)}
                for (e, v, d), raw in sorted(daily.items())
                if e == key and v == variant
            ]
            headline: dict[str, Any] = {
                OBJECTIVE_METRIC[objective]: total[OBJECTIVE_METRIC[objective]],
                **{g: total[g] for g in spec.measure.guardrails},
            }
            rows.append({"variant": variant, "headline": headline, "totals": total, "days": days})
        counts = {
            (v, k, c): n
            for (e, v, _), answered in choices.items()
            if e == key
            for (k, c), n in answered.items()
        }
        out.append(
            {
                "key": key,
                "name": spec.name,
                "objective": objective,
                "objective_metric": OBJECTIVE_METRIC[objective],
                "guardrails": list(spec.measure.guardrails),
                "attribution_window_hours": spec.measure.attribution_window_hours,
                "variants": rows,
                "answers": {
                    "choices": _choice_shares(spec, counts),
                    "themes": themes(texts[key], encoder),
                },
            }
        )
    return {
        "since": datetime.fromtimestamp(period.since, UTC).isoformat(),
        "until": datetime.fromtimestamp(period.until, UTC).isoformat(),
        "experiences": out,
    }


def workspace_report(
    engine: Engine,
    slug: str,
    *,
    days: int = 30,
    experience: str | None = None,
    now: float | None = None,
    rollups: bool = True,
) -> dict[str, Any]:
    """The report of a workspace's experiences over the last ``days`` UTC days (today included).

    Closed days come from the daily rollups (built or rebuilt first when missing or changed),
    the open day from the rows; a ``now`` in the past reads every day from the rows.
    """
    if not 1 <= days <= MAX_REPORT_DAYS:
        raise InvalidInput(f"between 1 and {MAX_REPORT_DAYS} days", field="days")
    specs = {s.key: s for s in engine.list_experiences(slug)}
    if experience is not None and experience not in specs:
        raise NotFound(f"experience {experience!r} does not exist")
    engine.flush()  # this process's buffered results count too
    period = Period.last_days(days, time.time() if now is None else now)
    out = report(
        engine.store,
        engine.workspace(slug).id,
        specs,
        period,
        encoder=engine.encoder,
        experience=experience,
        rollups=rollups,
    )
    return {"workspace": slug, **out}


def refresh_rollups(engine: Engine, slug: str, *, days: int = MAX_REPORT_DAYS) -> int:
    """Build the report's missing and changed closed days among the last ``days`` (for the
    windows the experiences use now), so that the next report only reads them; returns the
    days built. ``tastemaker maintain`` runs it; a report does the same for its own days."""
    windows = [s.measure.attribution_window_hours * 3600.0 for s in engine.list_experiences(slug)]
    engine.flush()
    first = Period.last_days(days, time.time()).since / DAY
    return rollup.refresh(engine.store, engine.workspace(slug).id, int(first), windows)
