"""Learn the ranker's signal weights from the workspace's own events.

The rank stage adds up min-max scaled signals (``rank.SIGNALS``) with one weight each. Which
signal deserves how much depends on the catalog and on how people use it, so ``fit`` can learn the
weights instead of trusting hand-set ones:

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

The cases of a fifth of the people are held out to compare the learned weights with the default
ones (NDCG@10 on their cases); the weights are used at answer time only when they do at least as
well. Answers with words and empty answers get separate weights. Nothing here reads benchmark
cases: the events are the only teacher.
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

from tastemaker.catalog import Catalog, Memo, tokens
from tastemaker.encoders import Encoder
from tastemaker.experiences import ExperienceSpec, RankingWeights
from tastemaker.fit import EventData, event_weight, learn_from_events
from tastemaker.pipeline import capture, enrich, rank, retrieve, understand
from tastemaker.pipeline.vocabulary import STOPWORDS, stem
from tastemaker.types import Answer, FloatArray, RequestContext

log = logging.getLogger(__name__)

MAX_CASES = 3000
MIN_HISTORY = 5  # positives a person needs before the held-out one
TARGETS_PER_PERSON = 5  # latest clear positives held out per person (more cases, same people)
EMPTY_PROMPT_SHARE = 0.2
COLD_SHARE = 0.2  # of the cases with words, answered as if the person were new (no history)
HOLDOUT_SHARE = 0.2
MIN_CASES = 30  # fewer usable cases than this: keep the default weights
L2 = 0.05  # towards the default weights (the strongest of the grid below)
# How hard to pull towards the defaults is chosen per workspace: the value of this grid whose
# weights do best on the held-out people's generated cases.
L2_GRID = (0.05, 0.01, 0.001)
SEED = 20240
TAG_ATTRIBUTES = frozenset({"tags", "tag", "keywords"})
SYNONYM_SHARE = 0.5  # training prompts that name a value by a related word, not its name
SYNONYM_WORDS = 5000  # most frequent catalog words considered as related words
SYNONYMS_PER_VALUE = 3
DESCRIBED_SHARE = 0.2  # training prompts that describe the item by a nearby word (tag-like)
DESCRIBED_WORDS = 3
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
    kind: str = "words"  # rank.answer_kind of the understood answer: which weights it trains


def make_cases(
    catalog: Catalog,
    events: Sequence[EventData],
    *,
    max_cases: int = MAX_CASES,
    seed: int = SEED,
    related: dict[tuple[str, str], list[str]] | None = None,
    describe: Describer | None = None,
) -> list[TrainingCase]:
    """Leave-latest-positives-out cases for a seeded sample of people with enough history.

    Up to ``TARGETS_PER_PERSON`` of each person's latest clear positives become cases, each with
    only the events before it as history, so small workspaces still yield enough cases.
    """
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
        targets: list[EventData] = []
        for e, w in reversed(positives):
            if len(targets) == TARGETS_PER_PERSON:
                break
            if w < typical or any(t.ts == e.ts or t.item_id == e.item_id for t in targets):
                continue
            if sum(1 for p, _ in positives if p.ts < e.ts) >= MIN_HISTORY:
                targets.append(e)
        eligible.extend((user, t) for t in targets)
    rng = np.random.default_rng(seed)
    eligible.sort(key=lambda p: (p[0], p[1].ts))
    picked = rng.permutation(len(eligible))[:max_cases]
    cases = []
    for i in sorted(picked):
        user, target = eligible[i]
        assert target.item_id is not None
        row = catalog.id_to_row[target.item_id]
        empty = rng.random() < EMPTY_PROMPT_SHARE
        cold = not empty and rng.random() < COLD_SHARE
        cases.append(
            TrainingCase(
                user_id=user,
                target=row,
                ts=target.ts,
                prompt="" if empty else phrase(catalog, row, rng, related, describe),
                history=[] if cold else [e for e in by_user[user] if e.ts < target.ts],
            )
        )
    return cases


@dataclass(frozen=True, slots=True)
class TitleWords:
    """The catalog's frequent title words and their vectors: the pool both kinds of indirect
    training prompt draw from (``related_words``, ``Describer``), encoded once."""

    words: list[str]
    vectors: FloatArray | None  # (len(words), dim); None when there are no words


def title_words(catalog: Catalog, encoder: Encoder) -> TitleWords:
    """Words in two titles or more (four letters or more, no glue), most frequent first."""
    counts: dict[str, int] = {}
    for title in catalog.titles:
        for w in dict.fromkeys(tokens(title)):  # in order: ties then rank the same every run
            if len(w) >= 4 and w.isalpha() and w not in STOPWORDS:
                counts[w] = counts.get(w, 0) + 1
    words = [w for w, c in sorted(counts.items(), key=lambda kv: -kv[1]) if c >= 2]
    words = words[:SYNONYM_WORDS]
    return TitleWords(words, encoder.encode(words) if words else None)


def related_words(catalog: Catalog, pool: TitleWords) -> dict[tuple[str, str], list[str]]:
    """For each facet value, catalog words the encoder places nearest to it ("laughs" for
    Comedy, "haunted" for Horror), never the value's own word.

    People rarely name a value outright ("make me laugh", not "comedy"). A named value becomes
    a hard filter in understand; a related word only reaches the ranker through embeddings.
    Training only on value names would teach the ranker nothing about that second, common
    path, so some training prompts use these words instead. They come from the catalog's own
    titles and the encoder: no word list.
    """
    words, vecs = pool.words, pool.vectors
    out: dict[tuple[str, str], list[str]] = {}
    if vecs is None:
        return out
    for name, attr in catalog.categorical.items():
        if not attr.is_facet or len(attr.values) < 2:
            continue
        sims = vecs @ attr.value_vectors.T  # (words, values)
        nearest = np.argmax(sims, axis=1)
        for j, value in enumerate(attr.values):
            own = {stem(t) for t in tokens(value)}
            mine = np.flatnonzero(nearest == j)
            mine = mine[np.argsort(-sims[mine, j])]
            picked = [
                words[i]
                for i in mine
                if stem(words[i]) not in own and not any(t in words[i] for t in tokens(value))
            ][:SYNONYMS_PER_VALUE]
            if picked:
                out[(name, value)] = picked
    return out


class Describer:
    """Catalog words the encoder places nearest to one item, never the item's own words.

    People also ask by what a thing is about ("a heist gone wrong", "life at sea"), as tags do; on a
    catalog without tags the nearest of its own frequent words stand in for them, so that the
    ranker learns how much the prompt's closeness to an item says when no value is named.
    """

    def __init__(self, catalog: Catalog, pool: TitleWords) -> None:
        self.catalog = catalog
        self.words, self.vectors = pool.words, pool.vectors
        self.stems = [stem(w) for w in self.words]

    def __call__(self, row: int, rng: np.random.Generator) -> str | None:
        """One of the ``DESCRIBED_WORDS`` words nearest to the item at ``row``, or None."""
        if self.vectors is None:
            return None
        cat = self.catalog
        own = {stem(t) for t in tokens(cat.titles[row])}
        for attr in cat.categorical.values():
            for v in attr.values_of(row):
                own |= {stem(t) for t in tokens(v)}
        sims = self.vectors @ cat.embeddings[row]
        picked: list[str] = []
        for i in np.argsort(-sims)[:20]:
            if self.stems[int(i)] not in own:
                picked.append(self.words[int(i)])
            if len(picked) == DESCRIBED_WORDS:
                break
        return picked[int(rng.integers(len(picked)))] if picked else None


def phrase(
    catalog: Catalog,
    row: int,
    rng: np.random.Generator,
    related: dict[tuple[str, str], list[str]] | None = None,
    describe: Describer | None = None,
) -> str:
    """A short prompt from one or two of the item's own attribute values, lower-cased; with
    ``related``, sometimes by a related word instead of the value's name; with ``describe``,
    sometimes by a word that describes the item itself rather than its values."""
    if describe is not None and rng.random() < DESCRIBED_SHARE:
        word = describe(row, rng)
        if word:
            return word
    sources = [
        (name, attr.values_of(row))
        for name, attr in catalog.categorical.items()
        if attr.is_facet or name.lower() in TAG_ATTRIBUTES
    ]
    sources = [(name, vals) for name, vals in sources if vals]
    if not sources:
        return ""
    name, raw = sources[int(rng.integers(len(sources)))]
    indirect = related is not None and rng.random() < SYNONYM_SHARE
    values = []
    for v in raw:
        words = (related or {}).get((name, v)) if indirect else None
        values.append(str(words[int(rng.integers(len(words)))]) if words else v.lower())
    if len(values) >= 2 and rng.random() < 0.5:
        a, b = rng.choice(len(values), size=2, replace=False)
        return str(_TWO[int(rng.integers(len(_TWO)))].format(a=values[a], b=values[b]))
    a = int(rng.integers(len(values)))
    return str(_ONE[int(rng.integers(len(_ONE)))].format(a=values[a]))


def training_snapshot(
    catalog: Catalog,
    events: Sequence[EventData],
    cases: Sequence[TrainingCase],
    *,
    threads: int = 0,
) -> Catalog:
    """The snapshot with popularity and CF refitted without the cases' held-out futures
    (``threads``: as in :func:`tastemaker.fit.build_catalog`)."""
    cutoff: dict[str, float] = {}
    for c in cases:
        cutoff[c.user_id] = min(c.ts, cutoff.get(c.user_id, np.inf))
    kept = [e for e in events if e.ts < cutoff.get(e.user_id, np.inf)]
    # The ridge the full fit chose: choosing again on the cut events would cost as much again.
    popularity, cf, activity, _ = learn_from_events(
        kept,
        catalog.id_to_row,
        catalog.size,
        threads=threads,
        regularization=None if catalog.cf is None else catalog.cf.regularization,
    )
    return dataclasses.replace(
        catalog,
        popularity=popularity,
        cf=cf,
        activity=activity,
        popular_rows=np.zeros(0, dtype=np.int32),
        trained={},
        _attributes_cache={},
        memo=Memo(),
        blocks=Memo(size=48),
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
    # scaled as rank.run scales them for the score, one row per signal: a case per column
    x = rank.scale_rows(np.stack([cand.features[s] for s in rank.SIGNALS]).astype(np.float32)).T
    assert answer.intent is not None
    assert answer.profile is not None
    kind = rank.answer_kind(answer.intent, cand.explain["intent_weights"], answer.profile)
    return CaseFeatures(x=x.astype(np.float64), label=int(hit[0]), kind=kind)


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


def _learn_group(
    usable: Sequence[tuple[str, CaseFeatures]], default: Array, seed: int
) -> dict[str, Any]:
    """Weights for one kind of case, checked against the defaults on held-out people."""
    if len(usable) < MIN_CASES:
        return {"weights": None, "active": False, "train_cases": len(usable)}
    people = sorted({u for u, _ in usable})
    rng = np.random.default_rng(seed)
    held = set(rng.permutation(people)[: max(1, int(len(people) * HOLDOUT_SHARE))].tolist())
    hold = [f for u, f in usable if u in held]
    train = [f for u, f in usable if u not in held]
    feats = [f for _, f in usable]
    scores = {l2: ndcg_at_10(hold, fit_weights(train, l2=l2, prior=default)) for l2 in L2_GRID}
    l2 = max(L2_GRID, key=lambda v: (scores[v], v))
    learned_ndcg = scores[l2]
    default_ndcg = ndcg_at_10(hold, default)
    w = fit_weights(feats, l2=l2, prior=default)
    if w.sum() <= 0:
        return {"weights": None, "active": False, "note": "every learned weight is zero"}
    # Same total as the defaults, so rule boosts and diversity keep their usual scale.
    w = w * (default.sum() / w.sum())
    return {
        "weights": {s: round(float(v), 4) for s, v in zip(rank.SIGNALS, w, strict=True)},
        "active": learned_ndcg >= default_ndcg,
        "train_cases": len(feats),
        "holdout_cases": len(hold),
        "holdout_ndcg": round(learned_ndcg, 4),
        "default_ndcg": round(default_ndcg, 4),
        "l2": l2,
    }


def train_ranker(
    catalog: Catalog,
    events: Sequence[EventData],
    encoder: Encoder,
    *,
    max_cases: int = MAX_CASES,
    seed: int = SEED,
    progress: Callable[[str], None] | None = None,
    threads: int = 0,
) -> dict[str, Any]:
    """Learn the weights; returns what goes to ``catalog.trained["ranker"]``.

    Answers lean on different signals depending on what understand made of them: values named
    outright are already hard filters, so the ranker should lean on the person among them;
    words that only point towards values need the intent signal; an empty answer has only the
    history. So each kind (``rank.ANSWER_KINDS``) gets its own weights, used when they learned
    enough and beat the defaults; the top-level weights (every answer with words) apply
    otherwise.
    """
    say = progress or (lambda msg: log.info("learn %s: %s", catalog.workspace, msg))
    t0 = time.perf_counter()
    pool = title_words(catalog, encoder)
    related = related_words(catalog, pool)
    describe = Describer(catalog, pool)
    cases = make_cases(
        catalog, events, max_cases=max_cases, seed=seed, related=related, describe=describe
    )
    report: dict[str, Any] = {"weights": None, "active": False, "cases": len(cases)}
    if len(cases) < MIN_CASES:
        report["note"] = f"only {len(cases)} people with enough history; default weights kept"
        return report
    snapshot = training_snapshot(catalog, events, cases, threads=threads)
    spec = training_spec()
    usable: list[tuple[TrainingCase, CaseFeatures]] = []
    for c in cases:
        f = case_features(snapshot, encoder, c, spec)
        if f is not None:
            usable.append((c, f))
    report["candidate_recall"] = round(len(usable) / len(cases), 4)
    report["train_cases"] = len(usable)
    if len(usable) < MIN_CASES:
        report["note"] = f"only {len(usable)} held-out items retrieved; default weights kept"
        return report
    default = default_weights()
    worded = _learn_group([(c.user_id, f) for c, f in usable if c.prompt], default, seed)
    if worded["weights"] is None:
        report["note"] = "too few cases with words; default weights kept"
        return report
    report.update(worded)
    report["train_cases"] = len(usable)
    for kind in rank.ANSWER_KINDS:
        report[kind] = _learn_group(
            [(c.user_id, f) for c, f in usable if f.kind == kind], default, seed
        )
    empty = report["empty"]
    report["seconds"] = round(time.perf_counter() - t0, 2)
    say(
        f"ranker learned from {len(usable)} cases (candidate recall "
        f"{report['candidate_recall']:.2f}): NDCG@10 {worded['holdout_ndcg']:.3f} vs default "
        f"{worded['default_ndcg']:.3f} on {worded['holdout_cases']} held-out cases with words"
        + (
            f", {empty['holdout_ndcg']:.3f} vs {empty['default_ndcg']:.3f} on "
            f"{empty['holdout_cases']} empty answers"
            if empty.get("weights")
            else ""
        )
    )
    return report
