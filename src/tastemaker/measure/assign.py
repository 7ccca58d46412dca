"""Deterministic assignment: which variant a unit sees, and whether it is in the holdout.

A unit's bucket is the first 8 bytes of ``sha256(salt + ":" + unit_id)`` read as a fraction in
[0, 1): the same unit gets the same variant in every process and after every restart, without
storing anything, and each experiment's own salt makes assignments of different experiments
independent of each other. Weights split [0, 1) into consecutive ranges.

The workspace holdout is decided first, with its own salt: a unit in it never sees prompted
personalization in any experience (it gets the curated default), which is what measures the
incremental value of the whole product. Holdout units are not enrolled in experiments.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass

HOLDOUT = "holdout"


def bucket(salt: str, unit_id: str) -> float:
    digest = hashlib.sha256(f"{salt}:{unit_id}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2.0**64


def choose_variant(salt: str, unit_id: str, names: Sequence[str], weights: Sequence[float]) -> str:
    """The variant whose weight range holds the unit's bucket."""
    if not names or len(names) != len(weights):
        raise ValueError("need one weight per variant")
    total = float(sum(weights))
    point = bucket(salt, unit_id) * total
    acc = 0.0
    for name, w in zip(names, weights, strict=True):
        acc += w
        if point < acc:
            return name
    return names[-1]  # only reachable through float rounding at the very top


def in_holdout(salt: str, unit_id: str, share: float) -> bool:
    return share > 0 and bucket(salt, unit_id) < share


@dataclass(frozen=True, slots=True)
class Assignment:
    """What the engine serves a unit: the experiment (if any) and the variant name."""

    experiment: str | None
    variant: str
    overrides: dict[str, object]

    @property
    def holdout(self) -> bool:
        return self.variant == HOLDOUT
