"""Assemble: choose the final k items and put them in a shape a person would want.

Relevance alone repeats itself (ten near-identical items), so selection uses maximal marginal
relevance over item embeddings plus per-value caps (e.g. at most two tracks by one artist).
Playlists are then ordered so that neighbours sound alike; bundles are filled greedily by score
within the budget.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt

from tastemaker.catalog import Catalog, gather
from tastemaker.experiences import ExperienceSpec
from tastemaker.pipeline.rank import reasons
from tastemaker.types import Answer, FloatArray, IndexArray, ResultItem

POOL = 150  # MMR looks at the best POOL candidates only: beyond that nothing gets picked
SPARE = 20  # items turned down by caps or the budget that the MMR head allows for


def _caps_ok(
    catalog: Catalog, row: int, caps: dict[str, int], used: dict[tuple[str, str], int]
) -> bool:
    for name, cap in caps.items():
        attr = catalog.categorical.get(name)
        if attr is None:
            continue
        for v in attr.values_of(row):
            if used.get((name, v), 0) >= cap:
                return False
    return True


def _use(
    catalog: Catalog, row: int, caps: dict[str, int], used: dict[tuple[str, str], int]
) -> None:
    for name in caps:
        attr = catalog.categorical.get(name)
        if attr is None:
            continue
        for v in attr.values_of(row):
            used[(name, v)] = used.get((name, v), 0) + 1


def select(
    answer: Answer, spec: ExperienceSpec, catalog: Catalog, k: int, budget: float | None
) -> list[int]:
    """Positions (into ``answer.candidates``) of the chosen items, in selection order."""
    cand = answer.candidates
    assert cand is not None and cand.score is not None
    caps_wanted = bool(spec.diversity.max_per_value)
    # A budgeted bundle with per-category caps may skip most of the best items, so it looks
    # at every candidate; a list needs only the head.
    pool_size = len(cand.rows) if budget is not None else POOL * (3 if caps_wanted else 1)
    if pool_size < len(cand.score):
        head = np.argpartition(-cand.score, pool_size - 1)[:pool_size]
        order = head[np.argsort(-cand.score[head], kind="stable")]
    else:
        order = np.argsort(-cand.score, kind="stable")
    chosen: list[int] = []
    used: dict[tuple[str, str], int] = {}
    caps = spec.diversity.max_per_value
    spent = 0.0
    if cand.pinned:
        pos_of = {int(r): i for i, r in enumerate(cand.rows.tolist())}
        for row in cand.pinned:
            p = pos_of.get(row)
            if p is not None and len(chosen) < k:
                chosen.append(p)
                _use(catalog, row, caps, used)
                spent += _price(catalog, row)
    lam = np.float32(spec.diversity.mmr_lambda)
    pool = order[~np.isin(order, chosen)] if chosen else order
    if not len(pool):
        return chosen
    rel = cand.score[pool]
    rel = (rel - rel.min()) / (float(rel.max() - rel.min()) or 1.0)
    gain = (lam * rel).astype(np.float32)
    # Redundancy costs an item at most 1 - lam. Unless caps or the budget turn many items down,
    # one at least as relevant as the (k + SPARE)-th is still untried at the last pick, so an
    # item whose relevance term lies more than 1 - lam below that one's can never be the best
    # pick: MMR runs on the head above that line (the pool is sorted by score), and again on
    # the whole pool in the rare case where an item below the line could have won after all.
    line = float(gain[min(len(gain), k + SPARE) - 1]) - float(1 - lam)
    cut = int(np.searchsorted(-gain, -line, side="right"))
    if cut < len(pool):
        picked, lowest = _greedy(
            catalog, cand.rows, pool[:cut], gain[:cut], lam, k, caps, budget, chosen, used, spent
        )
        if len(picked) == k and float(gain[cut]) <= lowest:
            return picked
    return _greedy(catalog, cand.rows, pool, gain, lam, k, caps, budget, chosen, used, spent)[0]


def _greedy(
    catalog: Catalog,
    cand_rows: IndexArray,
    pool: npt.NDArray[np.integer[Any]],
    gain: FloatArray,
    lam: np.float32,
    k: int,
    caps: dict[str, int],
    budget: float | None,
    chosen: list[int],
    used: dict[tuple[str, str], int],
    spent: float,
) -> tuple[list[int], float]:
    """Greedy MMR over ``pool`` (positions, best first) after the already ``chosen`` ones.

    Returns the chosen positions and the lowest winning score over the picks (what an item
    outside ``pool`` would have had to beat). The arguments are copied, not changed.
    """
    chosen, used = list(chosen), dict(used)
    emb = gather(catalog.embeddings, cand_rows[pool])
    max_sim: FloatArray = np.full(len(pool), -1.0, dtype=np.float32)
    if chosen:
        max_sim = (emb @ catalog.embeddings[cand_rows[chosen]].T).max(axis=1)
    # MMR = lam * relevance - (1 - lam) * redundancy; a tried candidate's relevance becomes
    # -inf, so it is never the argmax again (no mask to rebuild per pick).
    gain = gain.copy()
    penalty = np.empty(len(pool), dtype=np.float32)
    rows_of = cand_rows[pool].tolist()
    lowest = np.inf
    for _ in range(len(pool)):
        if len(chosen) >= k:
            break
        np.maximum(max_sim, 0, out=penalty)
        penalty *= 1 - lam
        np.subtract(gain, penalty, out=penalty)
        i = int(np.argmax(penalty))
        if gain[i] == -np.inf:
            break
        lowest = min(lowest, float(penalty[i]))
        gain[i] = -np.inf
        row = rows_of[i]
        if not _caps_ok(catalog, row, caps, used):
            continue
        price = _price(catalog, row)
        if budget is not None and spent + price > budget:
            continue
        chosen.append(int(pool[i]))
        _use(catalog, row, caps, used)
        spent += price
        np.maximum(max_sim, emb @ emb[i], out=max_sim)
    return chosen, lowest


def _price(catalog: Catalog, row: int) -> float:
    p = float(catalog.prices[row])
    return 0.0 if np.isnan(p) else p


def playlist_order(catalog: Catalog, rows: list[int], keep_first: int) -> list[int]:
    """Nearest-neighbour chain from the first item, so consecutive items flow into each other."""
    if len(rows) <= keep_first + 2:
        return rows
    emb = gather(catalog.embeddings, np.asarray(rows))
    sims = emb @ emb.T  # every pair once: the chain then only reads this small matrix
    start = max(keep_first, 1)
    order = list(range(start))
    rest = list(range(start, len(rows)))
    while rest:
        last = sims[order[-1]]
        best = max(range(len(rest)), key=lambda j: last[rest[j]])
        order.append(rest.pop(best))
    return [rows[i] for i in order]


def run(answer: Answer, spec: ExperienceSpec, catalog: Catalog) -> None:
    """Sets ``answer.items`` (and ``bundle_total`` for bundles)."""
    cand = answer.candidates
    assert cand is not None and cand.score is not None and answer.intent is not None
    k = spec.output.size
    budget = answer.intent.budget if spec.output.kind == "bundle" else None
    positions = select(answer, spec, catalog, k, budget)
    rows = [int(cand.rows[p]) for p in positions]
    if spec.output.kind == "playlist":
        order = playlist_order(catalog, rows, keep_first=len(cand.pinned))
        by_row = dict(zip(rows, positions, strict=True))
        positions = [by_row[r] for r in order]
    items: list[ResultItem] = []
    explained = reasons(answer, spec, catalog, positions)
    for p, why in zip(positions, explained, strict=True):
        row = int(cand.rows[p])
        price = round(_price(catalog, row), 2) if not np.isnan(catalog.prices[row]) else None
        items.append(
            ResultItem(
                id=catalog.ids[row],
                title=catalog.titles[row],
                score=float(cand.score[p]),
                reasons=(["featured"] if row in cand.pinned else []) + why,
                url=catalog.urls[row],
                price=price,
                attributes=catalog.attributes_of(row),
            )
        )
    answer.items = items
    if spec.output.kind == "bundle":
        answer.bundle_total = round(sum(i.price or 0.0 for i in items), 2)
