"""Hard constraints as one boolean mask over the catalog.

Shared by retrieve (to draw candidates only from what is allowed) and rules (to enforce it on
the final list), so the two can never disagree about what "allowed" means.

A mask depends on the snapshot and the constraints alone, and the same constraints come back
with every click on the same choice, so masks are remembered per snapshot
(:class:`tastemaker.catalog.Memo`, read-only arrays); only what the person already has is
applied per request.
"""

from __future__ import annotations

from collections.abc import Hashable

import numpy as np
import numpy.typing as npt

from tastemaker.catalog import Catalog
from tastemaker.experiences import ExperienceSpec
from tastemaker.types import Intent, Profile

Mask = npt.NDArray[np.bool_]


def _frozen(values: dict[str, list[str]] | dict[str, float]) -> tuple[tuple[str, object], ...]:
    return tuple(sorted((k, tuple(v) if isinstance(v, list) else v) for k, v in values.items()))


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
    """Items meeting every constraint, or None when there is no constraint at all.

    The mask is shared (remembered for the snapshot) and read-only: combine it, never change it.
    """
    key = (
        "hard",
        _frozen(required),
        _frozen(excluded),
        _frozen(numeric_min),
        _frozen(numeric_max),
    )
    out: Mask | None = catalog.memo.get(
        key, lambda: _hard_mask(catalog, required, excluded, numeric_min, numeric_max)
    )
    return out


def _hard_mask(
    catalog: Catalog,
    required: dict[str, list[str]],
    excluded: dict[str, list[str]],
    numeric_min: dict[str, float],
    numeric_max: dict[str, float],
) -> Mask | None:
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
    # An item without the value (NaN) fails both bounds: a comparison with NaN is False, so
    # the column is compared as it is, with no filled copy of it.
    for attribute, lo in numeric_min.items():
        col = catalog.numeric.get(attribute)
        if col is not None:
            both(col >= lo)
    for attribute, hi in numeric_max.items():
        col = catalog.numeric.get(attribute)
        if col is not None:
            both(col <= hi)
    return mask


def _merge(a: dict[str, list[str]], b: dict[str, list[str]]) -> dict[str, list[str]]:
    out = {k: list(v) for k, v in a.items()}
    for k, v in b.items():
        out[k] = list(dict.fromkeys([*out.get(k, []), *v]))
    return out


def allowed_mask(
    catalog: Catalog, spec: ExperienceSpec, intent: Intent, profile: Profile
) -> Mask | None:
    """Experience rules and the person's hard constraints, combined."""
    return allowed(catalog, spec, intent, profile)[0]


def allowed(
    catalog: Catalog, spec: ExperienceSpec, intent: Intent, profile: Profile
) -> tuple[Mask | None, tuple[Hashable, Mask] | None]:
    """Experience rules and the person's hard constraints, combined; with that set before the
    person's own exclusions and the key it is remembered under for the snapshot (None when the
    set is not shared). Its rows in popularity order (``catalog.popular_head`` and
    ``popular_within`` under that key) cost a pass over the catalog, which only a selective set
    needs: the caller asks for them.

    When the person's own requirements leave fewer items than the result needs, they are
    relaxed (required values first; exclusions and ranges stay: a person who said "no horror"
    must never get horror) and the relaxation is noted for the person to see. The items that
    meet them still lead (``rules``); the others only fill, so relaxing pays whenever it adds
    items, even when it cannot fill the whole result ("a crime film from 1972" with four such
    films left: those four, then the other films of 1972).
    """
    rules = spec.rules
    key = (
        "allowed",
        _frozen(rules.required),
        _frozen(rules.excluded),
        _frozen(rules.numeric_min),
        _frozen(rules.numeric_max),
        rules.available_only,
        tuple(rules.blocked),
        _frozen(intent.required),
        _frozen(intent.excluded),
        _frozen(intent.numeric_min),
        _frozen(intent.numeric_max),
    )

    def shared() -> tuple[Mask | None, Mask | None, int]:
        # Experience rules combine by intersection; the person's mentioned values are one
        # OR-group per attribute, intersected with the rules' groups.
        base = hard_mask(
            catalog, rules.required, rules.excluded, rules.numeric_min, rules.numeric_max
        )
        person = hard_mask(
            catalog, intent.required, intent.excluded, intent.numeric_min, intent.numeric_max
        )
        extra: Mask | None = None
        if rules.available_only and not catalog.available.all():
            extra = catalog.available.copy()
        if rules.blocked:
            m = np.ones(catalog.size, dtype=bool)
            m[catalog.rows_for(rules.blocked)] = False
            extra = m if extra is None else (extra & m)
        fixed = _and(base, extra)
        combined = _and(fixed, person)
        return fixed, combined, -1 if combined is None else int(np.count_nonzero(combined))

    fixed, combined, count = catalog.memo.get(key, shared)
    consumed = sorted(profile.consumed) if rules.exclude_consumed else []
    need = spec.output.size
    mine = _without(combined, consumed, catalog.size)
    # (``count`` less what the person has is a lower bound: only below ``need`` count exactly.)
    if (
        intent.required
        and mine is not None
        and count - len(consumed) < need
        and int(np.count_nonzero(mine)) < need
    ):
        relaxed = hard_mask(catalog, {}, intent.excluded, intent.numeric_min, intent.numeric_max)
        candidate = _without(_and(fixed, relaxed), consumed, catalog.size)
        if candidate is None or int(np.count_nonzero(candidate)) > int(np.count_nonzero(mine)):
            intent.notes.append(
                "relaxed: " + ", ".join(f"{a} {'/'.join(v)}" for a, v in intent.required.items())
            )
            intent.preferred = _merge(intent.preferred, intent.required)
            intent.relaxed = intent.required
            intent.required = {}
            return candidate, None
    if combined is None:
        return mine, None
    return mine, (key, combined)


def _without(mask: Mask | None, rows: list[int], size: int) -> Mask | None:
    """``mask`` (all ``size`` items when None) without ``rows``, as a new array; ``mask`` itself
    when there are no rows (it may be a shared, read-only one)."""
    if not rows:
        return mask
    out = np.ones(size, dtype=bool) if mask is None else mask.copy()
    out[rows] = False
    return out


def _and(a: Mask | None, b: Mask | None) -> Mask | None:
    if a is None:
        return b
    if b is None:
        return a
    return a & b
