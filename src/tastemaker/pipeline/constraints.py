"""Hard constraints as one boolean mask over the catalog.

Shared by retrieve (to draw candidates only from what is allowed) and rules (to enforce it on
the final list), so the two can never disagree about what "allowed" means.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from tastemaker.catalog import Catalog
from tastemaker.experiences import ExperienceSpec
from tastemaker.types import Intent, Profile

Mask = npt.NDArray[np.bool_]


def _values_mask(catalog: Catalog, attribute: str, values: list[str]) -> Mask | None:
    attr = catalog.categorical.get(attribute)
    if attr is None:
        return None
    cols = [attr.index[v.lower()] for v in values if v.lower() in attr.index]
    return attr.has_any(cols, catalog.size)


def hard_mask(
    catalog: Catalog,
    required: dict[str, list[str]],
    excluded: dict[str, list[str]],
    numeric_min: dict[str, float],
    numeric_max: dict[str, float],
) -> Mask | None:
    """Items meeting every constraint, or None when there is no constraint at all."""
    mask: Mask | None = None

    def both(m: Mask) -> None:
        nonlocal mask
        mask = m if mask is None else (mask & m)

    for attribute, values in required.items():
        m = _values_mask(catalog, attribute, values)
        if m is not None and values:
            both(m)
    for attribute, values in excluded.items():
        m = _values_mask(catalog, attribute, values)
        if m is not None and values:
            both(~m)
    for attribute, lo in numeric_min.items():
        col = catalog.numeric.get(attribute)
        if col is not None:
            both(np.nan_to_num(col, nan=-np.inf) >= lo)
    for attribute, hi in numeric_max.items():
        col = catalog.numeric.get(attribute)
        if col is not None:
            both(np.nan_to_num(col, nan=np.inf) <= hi)
    return mask


def _merge(a: dict[str, list[str]], b: dict[str, list[str]]) -> dict[str, list[str]]:
    out = {k: list(v) for k, v in a.items()}
    for k, v in b.items():
        out[k] = list(dict.fromkeys([*out.get(k, []), *v]))
    return out


def allowed_mask(
    catalog: Catalog, spec: ExperienceSpec, intent: Intent, profile: Profile
) -> Mask | None:
    """Experience rules and the person's hard constraints, combined.

    When the person's own requirements leave fewer items than the result needs, they are
    relaxed (required values first; exclusions and ranges stay: a person who said "no horror"
    must never get horror) and the relaxation is noted for the person to see.
    """
    rules = spec.rules
    # Experience rules combine by intersection; the person's mentioned values are one OR-group
    # per attribute, intersected with the rules' groups.
    base = hard_mask(catalog, rules.required, rules.excluded, rules.numeric_min, rules.numeric_max)
    person = hard_mask(
        catalog,
        intent.required,
        intent.excluded,
        intent.numeric_min,
        intent.numeric_max,
    )
    extra: Mask | None = None
    if rules.available_only and not catalog.available.all():
        extra = catalog.available.copy()
    if rules.exclude_consumed and profile.consumed:
        m = np.ones(catalog.size, dtype=bool)
        m[list(profile.consumed)] = False
        extra = m if extra is None else (extra & m)
    if rules.blocked:
        m = np.ones(catalog.size, dtype=bool)
        m[catalog.rows_for(rules.blocked)] = False
        extra = m if extra is None else (extra & m)
    fixed = _and(base, extra)
    combined = _and(fixed, person)
    need = spec.output.size
    if person is not None and combined is not None and int(combined.sum()) < need:
        relaxed = hard_mask(catalog, {}, intent.excluded, intent.numeric_min, intent.numeric_max)
        candidate = _and(fixed, relaxed)
        if intent.required and (candidate is None or int(candidate.sum()) >= need):
            intent.notes.append(
                "relaxed: " + ", ".join(f"{a} {'/'.join(v)}" for a, v in intent.required.items())
            )
            intent.preferred = _merge(intent.preferred, intent.required)
            intent.relaxed = intent.required
            intent.required = {}
            combined = candidate
    return combined


def _and(a: Mask | None, b: Mask | None) -> Mask | None:
    if a is None:
        return b
    if b is None:
        return a
    return a & b
