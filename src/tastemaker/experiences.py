"""Experiences: the prompt a person sees and what their answer means.

An experience is declared as data (YAML or JSON) so that a marketer can change it without a
deploy; every saved change becomes a new version in the store, and a served result records the
version that produced it. This module only defines and validates the declaration.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from tastemaker.channels.spec import Delivery
from tastemaker.guardrails.topics import SensitiveTopic

CheckKind = Literal["profanity", "pii", "injection", "sensitive"]
ALL_CHECKS: tuple[CheckKind, ...] = ("profanity", "pii", "injection", "sensitive")

KEY_PATTERN = r"^[a-z0-9][a-z0-9_-]{0,63}$"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ChoiceIntent(_Strict):
    """What picking a choice means, in the catalog's terms."""

    text: str = Field("", description="Words to embed for semantic retrieval.")
    moods: list[str] = Field(default_factory=list)
    attributes: dict[str, list[str]] = Field(
        default_factory=dict, description="Soft preferences: attribute -> values."
    )
    required: dict[str, list[str]] = Field(
        default_factory=dict, description="Hard filter: item must have one of the values."
    )
    excluded: dict[str, list[str]] = Field(
        default_factory=dict, description="Hard filter: item must have none of the values."
    )
    numeric_min: dict[str, float] = Field(default_factory=dict)
    numeric_max: dict[str, float] = Field(default_factory=dict)


class Choice(_Strict):
    id: str = Field(pattern=KEY_PATTERN)
    label: str = Field(min_length=1, max_length=80)
    intent: ChoiceIntent = Field(default_factory=ChoiceIntent)


class Prompt(_Strict):
    kind: Literal["choice", "text"]
    question: str = Field(min_length=1, max_length=300)
    placeholder: str | None = None
    choices: list[Choice] = Field(default_factory=list)
    max_length: int = Field(200, ge=1, le=2000, description="Longest free-text answer accepted.")
    allow_empty: bool = Field(True, description="An empty answer falls back to history alone.")
    privacy_notice: str = Field(
        "We use your answer and what you have viewed here to pick these for you.",
        max_length=500,
    )

    @model_validator(mode="after")
    def _choices_fit_kind(self) -> Prompt:
        if self.kind == "choice" and not self.choices:
            raise ValueError("a choice prompt needs at least one choice")
        ids = [c.id for c in self.choices]
        if len(ids) != len(set(ids)):
            raise ValueError("choice ids must be unique")
        return self


class Output(_Strict):
    kind: Literal["playlist", "bundle", "list"] = "list"
    size: int = Field(10, ge=1, le=100)
    budget: float | None = Field(None, gt=0, description="Default bundle budget.")


class Boost(_Strict):
    attribute: str
    value: str
    weight: float = Field(0.2, ge=-5, le=5)


class Rules(_Strict):
    available_only: bool = True
    exclude_consumed: bool = True
    required: dict[str, list[str]] = Field(default_factory=dict)
    excluded: dict[str, list[str]] = Field(default_factory=dict)
    numeric_min: dict[str, float] = Field(default_factory=dict)
    numeric_max: dict[str, float] = Field(default_factory=dict)
    pins: list[str] = Field(default_factory=list, description="Item ids placed first, in order.")
    boosts: list[Boost] = Field(default_factory=list)
    blocked: list[str] = Field(default_factory=list, description="Item ids never shown.")


class Diversity(_Strict):
    mmr_lambda: float = Field(
        0.75, ge=0, le=1, description="1 = pure relevance, 0 = pure novelty (MMR)."
    )
    max_per_value: dict[str, Annotated[int, Field(ge=1, le=100)]] = Field(
        default_factory=dict, description="Cap items sharing one attribute value, e.g. artist: 2."
    )


# A signal's weight: negative turns a signal against items (e.g. favour the long tail); the bound
# keeps scores finite whatever is posted.
Weight = Annotated[float, Field(ge=-100, le=100)]


class RankingWeights(_Strict):
    semantic: Weight = 1.0
    lexical: Weight = 0.5
    intent: Weight = 1.0
    cf: Weight = 0.8
    recent: Weight = 0.4
    covisit: Weight = 0.4
    sequence: Weight = 0.4
    prompt_history: Weight = 0.4
    affinity: Weight = 0.4
    popularity: Weight = 0.2
    trend: Weight = 0.2
    fresh: Weight = 0.1
    learned: bool = Field(
        True,
        description="Use the weights `fit` learned from events; false: the weights above.",
    )


class ChannelLimits(_Strict):
    """Longest copy a channel takes, in characters (e.g. ads: headline 30, description 90)."""

    title: int = Field(60, ge=1, le=2000)
    description: int = Field(160, ge=1, le=5000)
    cta: int = Field(32, ge=1, le=200)


class Brand(_Strict):
    name: str = "tastemaker"
    voice: Literal["warm", "playful", "premium", "plain"] = "warm"
    tone: str = Field(
        "", max_length=300, description="How the brand sounds; told to model copywriters."
    )
    banned_words: list[str] = Field(
        default_factory=list, description="Words and phrases the copy must never use."
    )
    banned_claims: list[str] = Field(
        default_factory=lambda: ["best", "guaranteed", "cure", "#1", "number one"]
    )
    competitors: list[str] = Field(
        default_factory=list, description="Names the copy must never mention."
    )
    legal_lines: list[str] = Field(
        default_factory=list, description="Lines shown with every piece of copy, verbatim."
    )
    channel_limits: dict[str, ChannelLimits] = Field(
        default_factory=dict,
        description="Length limits per channel; 'web' (default 60/160/32) is enforced, the "
        "others send copy that does not fit to editorial review.",
    )
    safe_title: str = "Picked for you"
    safe_description: str = "A selection we think you will enjoy."
    cta: str = "Take a look"


Objective = Literal["email_capture", "add_to_cart", "trial_signup", "content_completion", "revenue"]
GuardrailMetric = Literal[
    "fallback_rate",
    "p99_latency_ms",
    "abandonment_rate",
    "unsubscribe_rate",
    "click_through_rate",
    "answer_rate",
]


def _default_guardrails() -> list[GuardrailMetric]:
    return ["fallback_rate", "p99_latency_ms", "unsubscribe_rate"]


class Measure(_Strict):
    """What success means for this experience; the report leads with these.

    The objective names the conversion that counts (its event type is in
    :data:`tastemaker.measure.events.OBJECTIVE_EVENTS`); guardrails are the metrics that must
    not get worse while the objective improves.
    """

    objective: Objective = "add_to_cart"
    guardrails: list[GuardrailMetric] = Field(default_factory=_default_guardrails)
    attribution_window_hours: float = Field(
        168.0, gt=0, le=24 * 90, description="Conversions this long after a result count for it."
    )


class Guardrails(_Strict):
    """Which content checks run on the answer and on the copy, and what goes to review."""

    allowed_topics: list[SensitiveTopic] = Field(
        default_factory=list,
        description="Sensitive topics this experience may write about (e.g. health for a "
        "pharmacy); every other one is never inferred or written about.",
    )
    input_checks: list[CheckKind] = Field(default_factory=lambda: list(ALL_CHECKS))
    output_checks: list[CheckKind] = Field(default_factory=lambda: list(ALL_CHECKS))
    review: bool = Field(True, description="Queue copy that fails a soft check for review.")
    min_confidence: float = Field(
        0.5, ge=0, le=1, description="Copy a copywriter is less sure of goes to review."
    )


class CopywriterConfig(_Strict):
    """Which copywriter writes this experience's words, and how long it may take."""

    kind: Literal["template", "chat", "local"] = "template"
    model: str | None = Field(None, description="Overrides TASTEMAKER_LLM_MODEL for 'chat'.")
    budget_ms: float = Field(
        1500, gt=0, le=60_000, description="Latency budget; past it the template copy is used."
    )
    max_tokens: int = Field(160, ge=16, le=1024)
    temperature: float = Field(0.3, ge=0, le=2)


class ExperienceSpec(_Strict):
    """One experience, as declared in YAML or JSON."""

    key: str = Field(pattern=KEY_PATTERN)
    name: str = Field(min_length=1, max_length=120)
    prompt: Prompt
    output: Output = Field(default_factory=Output)
    rules: Rules = Field(default_factory=Rules)
    diversity: Diversity = Field(default_factory=Diversity)
    ranking: RankingWeights = Field(default_factory=RankingWeights)
    brand: Brand = Field(default_factory=Brand)
    guardrails: Guardrails = Field(default_factory=Guardrails)
    copywriter: CopywriterConfig = Field(default_factory=CopywriterConfig)
    template: str = Field("default", pattern=r"^[a-z0-9_-]+$")
    link_base: str = Field("https://example.com/items/", description="Item links start here.")
    default_items: list[str] = Field(
        default_factory=list, description="Curated fallback, shown when anything fails."
    )
    delivery: Delivery = Field(
        default_factory=Delivery,
        description="Channels, offers, slots, pushes (tastemaker.channels).",
    )
    followup: Prompt | None = Field(
        None, description="A second question asked after the first answer; both refine the result."
    )
    measure: Measure = Field(default_factory=Measure)

    @model_validator(mode="after")
    def _followup_ids_distinct(self) -> ExperienceSpec:
        if self.followup is not None:
            clash = {c.id for c in self.prompt.choices} & {c.id for c in self.followup.choices}
            if clash:
                raise ValueError(f"follow-up choice ids repeat the prompt's: {sorted(clash)}")
        return self

    @field_validator("template")
    @classmethod
    def _known_template(cls, v: str) -> str:
        # Checked at save, so that rendering a saved experience never meets a missing file.
        from tastemaker.pipeline.render import template_names

        if v not in template_names():
            raise ValueError(f"no template named {v!r}; one of {', '.join(template_names())}")
        return v

    @field_validator("default_items", "rules")
    @classmethod
    def _no_dupes(cls, v: Any) -> Any:
        if isinstance(v, list) and len(v) != len(set(v)):
            raise ValueError("item ids must be unique")
        return v

    def choice(self, choice_id: str) -> Choice | None:
        return next((c for c in self.prompt.choices if c.id == choice_id), None)

    def public(self) -> dict[str, Any]:
        """What a client needs to show the prompt (no rules, weights or fallbacks)."""
        return {
            "key": self.key,
            "name": self.name,
            "prompt": {
                "kind": self.prompt.kind,
                "question": self.prompt.question,
                "placeholder": self.prompt.placeholder,
                "choices": [{"id": c.id, "label": c.label} for c in self.prompt.choices],
                "max_length": self.prompt.max_length,
                "privacy_notice": self.prompt.privacy_notice,
            },
            "output": {"kind": self.output.kind, "size": self.output.size},
            "followup": None if self.followup is None else _public_prompt(self.followup),
        }


def _public_prompt(prompt: Prompt) -> dict[str, Any]:
    return {
        "kind": prompt.kind,
        "question": prompt.question,
        "placeholder": prompt.placeholder,
        "choices": [{"id": c.id, "label": c.label} for c in prompt.choices],
        "max_length": prompt.max_length,
    }


def load_spec(path: str | Path) -> ExperienceSpec:
    """Read an experience from a ``.yaml``/``.yml`` or ``.json`` file."""
    p = Path(path)
    text = p.read_text(encoding="utf-8")
    data = json.loads(text) if p.suffix == ".json" else yaml.safe_load(text)
    return ExperienceSpec.model_validate(data)
