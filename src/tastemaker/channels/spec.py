"""The ``delivery`` section of an experience: channels, offers, slots, follow-ups, refresh.

Kept apart from :mod:`tastemaker.experiences` (which only gains one field, ``delivery``) so that
everything about how a result leaves the engine, rendered for a channel or pushed to a webhook,
is declared and validated in one place. Every field has a default: an experience written before
channels existed renders on every channel unchanged.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

Channel = Literal["web", "landing", "email", "ads", "message", "json"]
CHANNELS: tuple[Channel, ...] = ("web", "landing", "email", "ads", "message", "json")
# A brand's own template may replace the built-in one of these channels (ads and json are data,
# not markup, so they have no template to replace).
TEMPLATED: tuple[str, ...] = ("web", "landing", "email_html", "email_text", "message")
MAX_TEMPLATE_CHARS = 20_000


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Offer(_Strict):
    """A time-limited offer on a bundle: the price is cut until ``valid_hours`` after serving."""

    percent_off: float = Field(gt=0, le=90)
    valid_hours: int = Field(48, ge=1, le=24 * 30)
    code: str | None = Field(None, pattern=r"^[A-Z0-9-]{1,32}$")


class Slots(_Strict):
    """Open time slots of a service, computed from a weekly schedule in its attributes.

    ``days_attribute`` holds weekday names (``mon`` ... ``sun``), ``hours_attribute`` start times
    (``"09:00"``); the next ``per_item`` starts after the moment of serving are shown. A schedule
    rather than a list of dated slots keeps the catalog valid forever and the demo reproducible.
    """

    days_attribute: str = "open_days"
    hours_attribute: str = "open_hours"
    per_item: int = Field(3, ge=1, le=10)
    horizon_days: int = Field(14, ge=1, le=60)


class FollowUp(_Strict):
    """One e-mail of the follow-up sequence, sent ``delay_days`` after the first."""

    delay_days: int = Field(ge=1, le=60)
    subject: str = Field(min_length=1, max_length=120)
    intro: str = Field(min_length=1, max_length=500)


class Email(_Strict):
    subject: str | None = Field(None, max_length=120, description="Default: the copy's title.")
    preheader: str | None = Field(None, max_length=150)
    followups: list[FollowUp] = Field(default_factory=list, max_length=5)


class Delivery(_Strict):
    """How the experience's results are rendered for channels and pushed out."""

    offer: Offer | None = None
    slots: Slots | None = None
    email: Email = Field(default_factory=Email)
    templates: dict[str, str] = Field(
        default_factory=dict,
        description="A brand's own templates (sandboxed) keyed by web, landing, email_html, "
        "email_text or message.",
    )
    landing_url: str | None = Field(
        None,
        pattern=r"^https?://",
        description="The page that shows the whole result (default: link_base).",
    )
    allow_repeats: bool = Field(
        False, description="A scheduled refresh may repeat items the person already got."
    )

    @field_validator("templates")
    @classmethod
    def _known_templates(cls, v: dict[str, str]) -> dict[str, str]:
        for name, source in v.items():
            if name not in TEMPLATED:
                raise ValueError(f"unknown template {name!r}; one of {', '.join(TEMPLATED)}")
            if len(source) > MAX_TEMPLATE_CHARS:
                raise ValueError(f"template {name!r} is over {MAX_TEMPLATE_CHARS} characters")
        return v
