"""An experiment's declaration: what varies, how traffic splits, what decides it.

Declared per workspace as data (API or CLI, JSON or YAML), like an experience. A variant changes
what is served through ``overrides``: a partial experience spec deep-merged into the experience
(``{"ranking": {...}}`` for a ranker, ``{"brand": {"voice": "playful"}}`` for a copywriter,
``{"template": "cards"}`` for a template, or a different prompt for a whole experience variant).
The first variant is the control.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from tastemaker.experiences import KEY_PATTERN, ExperienceSpec


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class MetricSpec(_Strict):
    """A unit-level metric read from events after the unit's first exposure."""

    event: str = Field(min_length=1, max_length=32, description="Event type, e.g. purchase.")
    kind: Literal["conversion", "value"] = Field(
        "conversion", description="conversion: any such event (0/1); value: sum of their values."
    )
    higher_is_better: bool = Field(
        True, description="False for metrics where a rise is harm (unsubscribes, returns)."
    )

    @property
    def name(self) -> str:
        return self.event if self.kind == "conversion" else f"{self.event} value"


class VariantSpec(_Strict):
    name: str = Field(pattern=KEY_PATTERN)
    weight: float = Field(1.0, gt=0)
    overrides: dict[str, Any] = Field(
        default_factory=dict, description="Partial experience spec merged into the experience."
    )


class ExperimentSpec(_Strict):
    key: str = Field(pattern=KEY_PATTERN)
    experience: str = Field(pattern=KEY_PATTERN, description="The experience it varies.")
    target: Literal["experience", "ranker", "copywriter", "template"] = "experience"
    variants: list[VariantSpec] = Field(min_length=2, max_length=20)
    metric: MetricSpec = Field(default_factory=lambda: MetricSpec(event="purchase"))
    guardrails: list[MetricSpec] = Field(default_factory=list, max_length=20)
    planned_units: int = Field(
        10_000, gt=0, description="Units at the planned end (all variants); tunes the test."
    )
    alpha: float = Field(0.05, gt=0, lt=0.5)

    @model_validator(mode="after")
    def _unique_names(self) -> ExperimentSpec:
        names = [v.name for v in self.variants]
        if len(names) != len(set(names)):
            raise ValueError("variant names must be unique")
        return self


def merge(base: dict[str, Any], overrides: dict[str, Any]) -> dict[str, Any]:
    """Deep-merge ``overrides`` into a copy of ``base`` (dicts merge, everything else replaces)."""
    out = dict(base)
    for k, v in overrides.items():
        if isinstance(v, dict) and isinstance(out.get(k), dict):
            out[k] = merge(out[k], v)
        else:
            out[k] = v
    return out


def variant_spec(base: ExperienceSpec, overrides: dict[str, Any]) -> ExperienceSpec:
    """The experience as a variant serves it; the key never changes (it names the experience).

    Raises pydantic's ``ValidationError`` when the overrides do not make a valid experience.
    """
    if not overrides:
        return base
    merged = merge(base.model_dump(mode="json"), overrides)
    merged["key"] = base.key
    return ExperienceSpec.model_validate(merged)
