"""Rank: fuse the candidates' signals into one explainable score.

Each signal is scaled to [0, 1] over the candidate set and weighted by the experience's
``ranking`` weights; the weighted parts are kept (``contrib_*`` columns) so that every item's
reasons are the signals that actually put it there, not a story told afterwards.

The weights are the experience's, or those ``fit`` learned from the workspace's own events
(:mod:`tastemaker.learn`, see :func:`signal_weights`).

Signals: ``semantic`` (embedding similarity to the answer), ``lexical`` (BM25 on its words),
``intent`` (the item has the attribute values the answer points to, declared by a choice or
inferred from the answer's closeness to the value names), ``cf`` (collaborative filtering from
the person's history), ``recent`` (closeness to the person's latest picks), ``prompt_history``
(closeness to the person's own past picks that fit this answer: where the prompt and the history
meet), ``covisit`` (taken together with the person's latest picks by other people: item-kNN),
``sequence`` (what other people picked soon after the person's latest picks),
``affinity`` (the person's taste for the item's attribute values), ``popularity`` and
``trend`` (how wanted the item was in the weeks up to the person's "now") and ``fresh`` (how
new it was then).
"""

from __future__ import annotations

from typing import cast

import numpy as np

from tastemaker.catalog import Catalog, gather, tokens
from tastemaker.experiences import ExperienceSpec
from tastemaker.pipeline.constraints import hard_mask
from tastemaker.pipeline.retrieve import attribute_score, intent_weights
from tastemaker.pipeline.vocabulary import stem
from tastemaker.types import Answer, FloatArray, IndexArray, Intent, Profile

SIGNALS = (
    "semantic",
    "lexical",
    "intent",
    "cf",
    "recent",
    "covisit",
    "sequence",
    "prompt_history",
    "affinity",
    "popularity",
    "trend",
    "fresh",
)
REASON_MIN_SHARE = 0.15
PROMPT_SEEDS = 10  # past picks that fit the answer best, whose neighbours the answer favours


def scale(x: FloatArray) -> FloatArray:
    """Min-max to [0, 1] over the candidates; a constant column carries no information."""
    out: FloatArray = scale_rows(x.astype(np.float32)[None, :])[0]
    return out


def scale_rows(x: FloatArray) -> FloatArray:
    """:func:`scale` for each row of ``x`` at once (every signal in one pass), in place."""
    if x.shape[1] == 0:
        return x
    lo, hi = x.min(axis=1), x.max(axis=1)
    span = hi - lo
    flat = span < 1e-9
    x -= lo[:, None]
    x /= np.where(flat, np.float32(1), span)[:, None]
    x[flat] = 0
    return x


def affinity_weights(catalog: Catalog, profile: Profile) -> dict[str, FloatArray]:
    out: dict[str, FloatArray] = {}
    for name, prefs in profile.affinities.items():
        attr = catalog.categorical[name]
        w = np.zeros(len(attr.values), dtype=np.float32)
        for value, score in prefs.items():
            w[attr.index[value.lower()]] = score
        out[name] = w
    return out


def prompt_history_seeds(
    catalog: Catalog, answer: Answer, iw: dict[str, FloatArray]
) -> tuple[IndexArray, FloatArray]:
    """The person's past picks that fit this answer best, with how well (times how much liked).

    "Something funny" from someone who loved three particular comedies should lean towards those
    comedies' neighbours, not towards comedy in general nor towards their taste in general.
    """
    profile, intent = answer.profile, answer.intent
    assert profile is not None and intent is not None
    empty = (np.zeros(0, dtype=np.int32), np.zeros(0, dtype=np.float32))
    if catalog.cf is None or profile.is_cold or (not iw and intent.vector is None):
        return empty
    hist = profile.history
    match = scale(attribute_score(catalog, hist, iw)) if iw else np.zeros(len(hist), np.float32)
    if intent.vector is not None:
        match = match + scale(gather(catalog.embeddings, hist) @ intent.vector)
    fit = match * (profile.history_weights / max(float(profile.history_weights.max()), 1e-9))
    order = np.argsort(-fit)[:PROMPT_SEEDS]
    order = order[fit[order] > 0]
    if len(order) == 0:
        return empty
    return hist[order], fit[order].astype(np.float32)


def _prompt_history(
    catalog: Catalog, rows: IndexArray, seeds: tuple[IndexArray, FloatArray]
) -> FloatArray:
    seed_rows, w = seeds
    if catalog.cf is None or len(seed_rows) == 0:
        return np.zeros(len(rows), dtype=np.float32)
    unit = catalog.cf.unit_factors
    sims = gather(unit, rows) @ gather(unit, seed_rows).T
    out: FloatArray = (sims @ w / w.sum()).astype(np.float32)
    return out


ANSWER_KINDS = ("named", "words", "empty", "cold")


def answer_kind(intent: Intent, iw: dict[str, FloatArray], profile: Profile) -> str:
    """``empty``: nothing to go on but the person; ``cold``: words from someone we know
    nothing about; ``named``: every value the answer points to is a hard filter (named outright,
    or required by the chosen option); ``words``: some values are only preferred (words that
    point towards them, a choice's soft attributes), so the ``intent`` signal must carry them.
    """
    if intent.vector is None and not intent.terms and not iw:
        return "empty"
    if profile.is_cold:
        return "cold"
    soft = any(
        v not in intent.required.get(name, [])
        for name, vals in intent.preferred.items()
        for v in vals
    )
    if (intent.required or intent.asked) and not soft:
        return "named"
    return "words"


def signal_weights(
    spec: ExperienceSpec, catalog: Catalog, *, kind: str = "words"
) -> dict[str, float]:
    """The weight of each signal: learned in ``fit`` unless the experience opts out.

    Learned weights apply when the snapshot holds active ones (they beat the defaults on the
    workspace's own held-out events) and ``ranking.learned`` is on; otherwise the experience's
    own ``ranking`` weights do. Each answer ``kind`` (:func:`answer_kind`) uses the weights
    learned for its kind when there are active ones.
    """
    ranking = spec.ranking
    learned = catalog.trained.get("ranker") or {}
    if ranking.learned:
        own = learned.get(kind) or {}
        if own.get("active") and own.get("weights"):
            return cast(dict[str, float], own["weights"])
    if ranking.learned and learned.get("active") and learned.get("weights"):
        return cast(dict[str, float], learned["weights"])
    return {s: float(getattr(ranking, s)) for s in SIGNALS}


def run(answer: Answer, spec: ExperienceSpec, catalog: Catalog) -> None:
    """Sets ``candidates.score`` and one ``contrib_<signal>`` column per signal."""
    assert answer.candidates is not None and answer.intent is not None
    assert answer.profile is not None
    cand = answer.candidates
    rows = cand.rows
    # An attribute every candidate must have (kind: track) separates nothing and explains
    # nothing ("you often pick track"), unless the person named its value themselves.
    fixed = set(spec.rules.required) | set(answer.intent.required)
    meant = cast(dict[str, FloatArray] | None, cand.explain.get("meant_weights"))
    iw = meant if meant is not None else intent_weights(catalog, answer.intent)
    iw = {k: v for k, v in iw.items() if k not in fixed or k in answer.intent.asked}
    aw = affinity_weights(catalog, answer.profile)
    aw = {k: v for k, v in aw.items() if k not in fixed}
    cand.explain["intent_weights"], cand.explain["affinity_weights"] = iw, aw
    cand.features["intent"] = attribute_score(catalog, rows, iw)
    cand.features["affinity"] = attribute_score(catalog, rows, aw)
    seeds = prompt_history_seeds(catalog, answer, iw)
    cand.explain["prompt_seeds"] = seeds
    cand.features["prompt_history"] = _prompt_history(catalog, rows, seeds)
    weights = signal_weights(spec, catalog, kind=answer_kind(answer.intent, iw, answer.profile))
    present = [s for s in SIGNALS if cand.features.get(s) is not None]
    parts = scale_rows(np.stack([cand.features[s] for s in present]).astype(np.float32))
    parts *= np.array([weights.get(s, 0.0) for s in present], dtype=np.float32)[:, None]
    score = np.zeros(len(rows), dtype=np.float32)
    for signal, part in zip(present, parts, strict=True):
        cand.features[f"contrib_{signal}"] = part
        score += part
    cand.score = score


def reasons(
    answer: Answer, spec: ExperienceSpec, catalog: Catalog, positions: list[int]
) -> list[list[str]]:
    """Readable reasons for the candidates at ``positions``, strongest first, up to three each.

    The chosen items are explained together: each signal's contributions are read once for
    all of them, and the "closest of your picks" lookups are one product per answer, not one
    per item and reason.
    """
    cand = answer.candidates
    assert cand is not None and cand.score is not None
    if not positions:
        return []
    at = np.asarray(positions, dtype=np.int64)
    present = [s for s in SIGNALS if f"contrib_{s}" in cand.features]
    contrib = np.stack([cand.features[f"contrib_{s}"][at] for s in present]).T.tolist()
    totals = cand.score[at].tolist()
    closest = _Lookups(answer, spec, catalog, cand.rows[at])
    out: list[list[str]] = []
    for i, position in enumerate(positions):
        row = int(cand.rows[position])
        total = totals[i] or 1.0
        mine: list[str] = []
        for value, signal in sorted(zip(contrib[i], present, strict=True), reverse=True):
            if value <= 0 or value / total < REASON_MIN_SHARE:
                continue
            text = _reason(signal, i, row, answer, catalog, closest)
            if text and text not in mine:
                mine.append(text)
            if len(mine) == 3:
                break
        out.append(mine or ["popular with people like you"])
    return out


class _Lookups:
    """What the reasons name, computed once per answer for every explained item: the title of
    the closest of a set of the person's picks in CF factor space (their latest picks, the
    picks that fit the answer, their liked items this experience could show), and the
    best-weighted value each item has under the intent's or the person's affinity weights."""

    def __init__(
        self, answer: Answer, spec: ExperienceSpec, catalog: Catalog, rows: IndexArray
    ) -> None:
        self.answer, self.spec, self.catalog, self.rows = answer, spec, catalog, rows
        self._done: dict[str, list[str | None]] = {}

    def title(self, which: str, i: int) -> str | None:
        titles = self._done.get(which)
        if titles is None:
            titles = self._done[which] = self._titles(which)
        return titles[i]

    def value(self, which: str, i: int) -> str | None:
        """``which`` is ``"intent_weights"`` or ``"affinity_weights"``."""
        key = f"value:{which}"
        values = self._done.get(key)
        if values is None:
            cand = self.answer.candidates
            assert cand is not None
            values = self._done[key] = _best_values(self.catalog, self.rows, cand.explain[which])
        return values[i]

    def _titles(self, which: str) -> list[str | None]:
        catalog, profile, cand = self.catalog, self.answer.profile, self.answer.candidates
        assert profile is not None and cand is not None
        none: list[str | None] = [None] * len(self.rows)
        if catalog.cf is None:
            return none
        weights: FloatArray | None = None
        if which == "recent":
            seeds = profile.recent[:10]
        elif which == "prompt":
            found = cast(tuple[IndexArray, FloatArray] | None, cand.explain.get("prompt_seeds"))
            seeds = found[0] if found is not None else np.zeros(0, dtype=np.int32)
        else:
            if profile.is_cold:
                return none
            seeds, weights = _comparable_history(catalog, profile, self.spec)
        if len(seeds) == 0:
            return none
        f = catalog.cf.item_factors
        sims = f[self.rows] @ f[seeds].T
        if weights is not None:
            sims = sims * weights
        return [catalog.titles[int(seeds[j])] for j in np.argmax(sims, axis=1)]


def _answer_words(answer: Answer) -> str:
    """The person's words as the ranker used them (constraints and negations removed)."""
    cap, intent = answer.captured, answer.intent
    if cap is None or intent is None:
        return ""
    if cap.choice_id and not cap.text:
        return intent.notes[0].removeprefix("chose ") if intent.notes else cap.choice_id
    words = intent.text.strip(" .,;")
    return words if len(words) <= 40 else words[:37].rstrip() + "..."


def _matched_term(answer: Answer, catalog: Catalog, row: int) -> str | None:
    """The first of the person's words that the item's title also contains (by stem)."""
    intent = answer.intent
    if intent is None:
        return None
    title = {stem(t) for t in tokens(catalog.titles[row])}
    return next((t for t in intent.terms if stem(t) in title), None)


def _reason(
    signal: str, i: int, row: int, answer: Answer, catalog: Catalog, closest: _Lookups
) -> str | None:
    cand = answer.candidates
    assert cand is not None
    if signal == "semantic":
        words = _answer_words(answer)
        return f'matches "{words}"' if words else None
    if signal == "lexical":
        term = _matched_term(answer, catalog, row)
        return f'mentions "{term}"' if term else "its description fits your words"
    if signal == "intent":
        best = closest.value("intent_weights", i)
        return f"{best}, as you asked" if best else None
    if signal == "affinity":
        best = closest.value("affinity_weights", i)
        return f"you often pick {best}" if best else None
    if signal == "cf":
        liked = closest.title("history", i)
        return f"because you liked {liked}" if liked else "popular with people like you"
    if signal == "recent":
        liked = closest.title("recent", i)
        return f"like {liked}, which you picked lately" if liked else None
    if signal == "covisit":
        liked = closest.title("recent", i)
        return f"people who picked {liked} picked it too" if liked else None
    if signal == "sequence":
        liked = closest.title("recent", i)
        return f"people who picked {liked} went on to pick it" if liked else None
    if signal == "prompt_history":
        liked = closest.title("prompt", i)
        return f"like {liked}, which you loved" if liked else None
    if signal == "popularity":
        return "popular with everyone"
    if signal == "fresh":
        return "new"
    if signal == "trend":
        return "popular right now"
    return None


def _best_values(
    catalog: Catalog, rows: IndexArray, weights: dict[str, FloatArray]
) -> list[str | None]:
    """For each of ``rows``, its value with the highest positive weight (None when it has none),
    across the weighted attributes; the first attribute wins a tie."""
    best: list[str | None] = [None] * len(rows)
    best_w = [0.0] * len(rows)
    for name, w in weights.items():
        attr = catalog.categorical[name]
        assert attr.dense is not None  # weights are only ever given to facets
        held = gather(attr.dense, rows) * w  # 0 where the item lacks the value
        cols = np.argmax(held, axis=1)
        top = held[np.arange(len(rows)), cols].tolist()
        for i, (j, v) in enumerate(zip(cols.tolist(), top, strict=True)):
            if v > best_w[i]:
                best[i], best_w[i] = attr.values[j], v
    return best


def _comparable_history(
    catalog: Catalog, profile: Profile, spec: ExperienceSpec
) -> tuple[IndexArray, FloatArray]:
    """The person's liked items (the latest 50) that this experience could show, with weights.

    ("because you liked a paperback" under a track would be true for the model and
    meaningless to the person.)
    """
    rules = spec.rules
    same_kind = hard_mask(catalog, rules.required, rules.excluded, {}, {})
    head = profile.history[:50]
    keep = np.ones(len(head), dtype=bool) if same_kind is None else same_kind[head]
    return head[keep], profile.history_weights[:50][keep]
