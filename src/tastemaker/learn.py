"""Learn the ranker's signal weights from the workspace's own events.

The rank stage adds up min-max scaled signals (semantic, lexical, intent, cf, affinity,
popularity) with one weight each. Which signal deserves how much depends on the catalog and on
how people use it, so ``fit`` can learn the weights instead of trusting hand-set ones:

1. **Cases.** For a seeded sample of people with enough history, hold out their latest clear
   positive (by time), phrase a prompt from that item's own attribute values ("something
   comedy", its tags...) or leave it empty, and keep only the events *before* it as history.
2. **Features.** Each case runs the real stages (capture, understand, enrich, retrieve, rank) on
   a copy of the snapshot whose popularity and CF factors were refitted without the held-out
   interactions (and everything after them), so the CF signal is not credited with what it
   has already seen. A case whose item is not among the candidates is skipped (its share is
   the reported candidate recall).
3. **Model.** A listwise logistic model (softmax over each case's candidates) with non-negative
   weights and L2 regularisation, fitted by L-BFGS-B. Non-negative weights keep the score a sum
   of parts, so reasons remain the contributions that put an item where it is.

A fifth of the cases is held out to compare the learned weights with the default ones (NDCG@10
on the held-out cases); the weights are used at answer time only when they do at least as
well. Nothing here reads benchmark cases: the events are the only teacher.
"""

from __future__ import annotations

import dataclasses
import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
from scipy.optimize import minimize

from tastemaker.catalog import Catalog
from tastemaker.encoders import Encoder
from tastemaker.experiences import ExperienceSpec, RankingWeights
from tastemaker.fit import EventData, event_weight, learn_from_events
from tastemaker.pipeline import capture, enrich, rank, retrieve, understand
from tastemaker.types import Answer, RequestContext

log = logging.getLogger(__name__)

MAX_CASES = 500
MIN_HISTORY = 5  # positives a person needs before the held-out one
EMPTY_PROMPT_SHARE = 0.2
HOLDOUT_SHARE = 0.2
MIN_CASES = 30  # fewer usable cases than this: keep the default weights
L2 = 0.05  # towards the default weights; chosen on the generated held-out cases
SEED = 20240
TAG_ATTRIBUTES = frozenset({"tags", "tag", "keywords"})
_ONE = ("{a}", "something {a}", "{a} please", "in the mood for {a}")
_TWO = ("{a} and {b}", "something {a} and {b}", "{a}, {b}")

Array = npt.NDArray[np.float64]


@dataclass(slots=True)
class TrainingCase:
    """One held-out positive: who, which row, the phrased prompt and the history before it."""

    user_id: str
    target: int  # catalog row of the held-out item
    ts: float
    prompt: str
    history: list[EventData]  # the person's events strictly before ``ts``


@dataclass(slots=True)
class CaseFeatures:
    """The scaled signals of one case's candidates (rows) and which row is the held-out item."""

    x: Array  # (n_candidates, len(rank.SIGNALS))
    label: int


def make_cases(
    catalog: Catalog,
    events: Sequence[EventData],
    *,
    max_cases: int = MAX_CASES,
    seed: int = SEED,
) -> list[TrainingCase]:
    """Leave-latest-positive-out cases for a seeded sample of people with enough history."""
    by_user: dict[str, list[EventData]] = {}
    for e in events:
        by_user.setdefault(e.user_id, []).append(e)
    eligible: list[tuple[str, EventData]] = []
    for user, evs in by_user.items():
        evs.sort(key=lambda e: e.ts)
        positives = [
            (e, w)
            for e in evs
            if e.item_id in catalog.id_to_row and (w := event_weight(e.type, e.value)) > 0
        ]
        if len(positives) <= MIN_HISTORY:
            continue
        # The latest *clear* positive: at least as strong as the person's typical one.
        typical = float(np.median([w for _, w in positives]))
        target = next(e for e, w in reversed(positives) if w >= typical)
        if sum(1 for e, _ in positives if e.ts < target.ts) >= MIN_HISTORY:
            eligible.append((user, target))
    rng = np.random.default_rng(seed)
    eligible.sort(key=lambda p: p[0])
    picked = rng.permutation(len(eligible))[:max_cases]
    cases = []
    for i in sorted(picked):
        user, target = eligible[i]
        assert target.item_id is not None
        row = catalog.id_to_row[target.item_id]
        empty = rng.random() < EMPTY_PROMPT_SHARE
        cases.append(
            TrainingCase(
                user_id=user,
                target=row,
                ts=target.ts,
                prompt="" if empty else phrase(catalog, row, rng),
                history=[e for e in by_user[user] if e.ts < target.ts],
            )
        )
    return cases


def phrase(catalog: Catalog, row: int, rng: np.random.Generator) -> str:
    """A short prompt from one or two of the item's own attribute values, lower-cased."""
    sources = [
        attr.values_of(row)
        for name, attr in catalog.categorical.items()
        if attr.is_facet or name.lower() in TAG_ATTRIBUTES
    ]
    sources = [vals for vals in sources if vals]
    if not sources:
        return ""
    values = [v.lower() for v in sources[int(rng.integers(len(sources)))]]
    if len(values) >= 2 and rng.random() < 0.5:
        a, b = rng.choice(len(values), size=2, replace=False)
        return str(_TWO[int(rng.integers(len(_TWO)))].format(a=values[a], b=values[b]))
    a = int(rng.integers(len(values)))
    return str(_ONE[int(rng.integers(len(_ONE)))].format(a=values[a]))


def training_snapshot(
    catalog: Catalog, events: Sequence[EventData], cases: Sequence[TrainingCase]
) -> Catalog:
    """The snapshot with popularity and CF refitted without the cases' held-out futures."""
    cutoff = {c.user_id: c.ts for c in cases}
    kept = [e for e in events if e.ts < cutoff.get(e.user_id, np.inf)]
    popularity, cf = learn_from_events(kept, catalog.id_to_row, catalog.size)
    return dataclasses.replace(
        catalog,
        popularity=popularity,
        cf=cf,
        popular_rows=np.zeros(0, dtype=np.int32),
        trained={},
        _attributes_cache={},
    )


def training_spec() -> ExperienceSpec:
    """A generic free-text experience with the usual rules (nothing seen twice)."""
    return ExperienceSpec.model_validate(
        {
            "key": "learn",
            "name": "Ranker training",
            "prompt": {"kind": "text", "question": "What would you like?", "max_length": 2000},
            "ranking": {"learned": False},
        }
    )


def case_features(
    catalog: Catalog, encoder: Encoder, case: TrainingCase, spec: ExperienceSpec
) -> CaseFeatures | None:
    """Run the pipeline up to rank on one case; None when the item is not a candidate."""
    answer = Answer(
        request_id="learn",
        workspace=catalog.workspace,
        experience_key=spec.key,
        experience_version=0,
        variant="default",
        user_id=case.user_id,
        raw_choice=None,
        raw_text=case.prompt,
        context=RequestContext(),
    )
    capture.run(answer, spec)
    understand.run(answer, spec, catalog, encoder)
    enrich.run(answer, catalog, case.history)
    retrieve.run(answer, spec, catalog)
    rank.run(answer, spec, catalog)
    cand = answer.candidates
    assert cand is not None
    hit = np.flatnonzero(cand.rows == case.target)
    if len(hit) == 0:
        return None
    x = np.stack([rank.scale(cand.features[s]) for s in rank.SIGNALS], axis=1)
    return CaseFeatures(x=x.astype(np.float64), label=int(hit[0]))


def _stack(cases: Sequence[CaseFeatures]) -> tuple[Array, npt.NDArray[np.int64], Array]:
    x = np.concatenate([c.x for c in cases])
    sizes = np.array([len(c.x) for c in cases])
    starts = np.concatenate([[0], np.cumsum(sizes)[:-1]]).astype(np.int64)
    y = np.zeros(len(x))
    y[starts + np.array([c.label for c in cases])] = 1.0
    return x, starts, y


def fit_weights(cases: Sequence[CaseFeatures], l2: float = L2, prior: Array | None = None) -> Array:
    """Non-negative weights of a listwise (softmax) logistic model over each case's candidates.

    The L2 penalty pulls towards ``prior`` (default: zero), so a signal the generated cases
    cannot judge keeps its prior weight instead of dropping out.
    """
    x, starts, y = _stack(cases)
    w_prior = np.zeros(x.shape[1]) if prior is None else np.asarray(prior, dtype=np.float64)
    seg = np.repeat(np.arange(len(starts)), np.diff(np.append(starts, len(x))))
    n = len(starts)

    def loss(w: Array) -> tuple[float, Array]:
        s = x @ w
        top = np.maximum.reduceat(s, starts)
        e = np.exp(s - top[seg])
        z = np.add.reduceat(e, starts)
        p = e / z[seg]
        nll = float(np.sum(top + np.log(z)) - s @ y) / n
        grad = x.T @ (p - y) / n
        d = w - w_prior
        return nll + l2 * float(d @ d), grad + 2 * l2 * d

    w0 = w_prior.copy() if prior is not None else np.full(x.shape[1], 0.5)
    res = minimize(loss, w0, jac=True, method="L-BFGS-B", bounds=[(0.0, None)] * x.shape[1])
    return np.asarray(res.x, dtype=np.float64)


def ndcg_at_10(cases: Sequence[CaseFeatures], w: Array) -> float:
    """Mean NDCG@10 of the held-out item among its case's candidates (ties count half)."""
    if not cases:
        return 0.0
    total = 0.0
    for c in cases:
        s = c.x @ w
        t = s[c.label]
        pos = int(np.sum(s > t)) + int(np.sum(s == t) - 1) // 2
        if pos < 10:
            total += 1.0 / float(np.log2(pos + 2))
    return total / len(cases)


def default_weights() -> Array:
    d = RankingWeights().model_dump()
    return np.array([d[s] for s in rank.SIGNALS], dtype=np.float64)


def train_ranker(
    catalog: Catalog,
    events: Sequence[EventData],
    encoder: Encoder,
    *,
    max_cases: int = MAX_CASES,
    seed: int = SEED,
    progress: Callable[[str], None] | None = None,
) -> dict[str, Any]:
    """Learn the weights; returns what goes to ``catalog.trained["ranker"]``."""
    say = progress or (lambda msg: log.info("learn %s: %s", catalog.workspace, msg))
    t0 = time.perf_counter()
    cases = make_cases(catalog, events, max_cases=max_cases, seed=seed)
    report: dict[str, Any] = {"weights": None, "active": False, "cases": len(cases)}
    if len(cases) < MIN_CASES:
        report["note"] = f"only {len(cases)} people with enough history; default weights kept"
        return report
    snapshot = training_snapshot(catalog, events, cases)
    spec = training_spec()
    feats = [case_features(snapshot, encoder, c, spec) for c in cases]
    usable = [f for f in feats if f is not None]
    report["candidate_recall"] = round(len(usable) / len(cases), 4)
    report["train_cases"] = len(usable)
    if len(usable) < MIN_CASES:
        report["note"] = f"only {len(usable)} held-out items retrieved; default weights kept"
        return report
    order = np.random.default_rng(seed).permutation(len(usable))
    n_hold = max(1, int(len(usable) * HOLDOUT_SHARE))
    hold = [usable[i] for i in order[:n_hold]]
    train = [usable[i] for i in order[n_hold:]]
    default = default_weights()
    learned_ndcg = ndcg_at_10(hold, fit_weights(train, prior=default))
    default_ndcg = ndcg_at_10(hold, default)
    w = fit_weights(usable, prior=default)
    if w.sum() <= 0:
        report["note"] = "every learned weight is zero; default weights kept"
        return report
    # Same total as the defaults, so rule boosts and diversity keep their usual scale.
    w = w * (default.sum() / w.sum())
    report.update(
        weights={s: round(float(v), 4) for s, v in zip(rank.SIGNALS, w, strict=True)},
        holdout_cases=n_hold,
        holdout_ndcg=round(learned_ndcg, 4),
        default_ndcg=round(default_ndcg, 4),
        active=learned_ndcg >= default_ndcg,
        seconds=round(time.perf_counter() - t0, 2),
    )
    say(
        f"ranker learned from {len(usable)} cases (candidate recall "
        f"{report['candidate_recall']:.2f}): NDCG@10 {learned_ndcg:.3f} vs default "
        f"{default_ndcg:.3f} on {n_hold} held-out cases"
    )
    return report
