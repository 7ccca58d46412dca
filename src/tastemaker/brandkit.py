"""The brand kit: a workspace's voice and rules, declared once and shared by its experiences.

Each experience still carries its own ``brand`` section; the workspace's kit sits under it. Lists
(banned words and claims, competitors, legal lines) are joined, so a kit can only add rules, never
lift one an experience set; a single value (voice, tone, safe copy) comes from the kit unless the
experience changed it from the default; channel limits come from the kit unless the experience
declares the same channel. Saved kits are versioned in the store (kind ``brand_kit``), so a
change can be rolled back like an experience.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from tastemaker.experiences import Brand, ChannelLimits

_SCALARS = ("name", "voice", "tone", "safe_title", "safe_description", "cta")
_LISTS = ("banned_words", "banned_claims", "competitors", "legal_lines")


class BrandKit(BaseModel):
    """A workspace's brand rules; every field is optional."""

    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(None, max_length=120)
    voice: Literal["warm", "playful", "premium", "plain"] | None = None
    tone: str | None = Field(None, max_length=300)
    banned_words: list[str] = Field(default_factory=list)
    banned_claims: list[str] = Field(default_factory=list)
    competitors: list[str] = Field(default_factory=list)
    legal_lines: list[str] = Field(default_factory=list)
    channel_limits: dict[str, ChannelLimits] = Field(default_factory=dict)
    safe_title: str | None = Field(None, max_length=60)
    safe_description: str | None = Field(None, max_length=160)
    cta: str | None = Field(None, max_length=32)

    def apply(self, brand: Brand) -> Brand:
        """The experience's brand with this kit underneath it (see the module docstring)."""
        update: dict[str, Any] = {}
        for name in _SCALARS:
            value = getattr(self, name)
            if value is not None and getattr(brand, name) == Brand.model_fields[name].default:
                update[name] = value
        for name in _LISTS:
            joined = list(dict.fromkeys([*getattr(brand, name), *getattr(self, name)]))
            if joined != getattr(brand, name):
                update[name] = joined
        if self.channel_limits:
            update["channel_limits"] = {**self.channel_limits, **brand.channel_limits}
        return brand.model_copy(update=update) if update else brand
