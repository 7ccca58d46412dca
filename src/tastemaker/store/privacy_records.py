"""The privacy area's records: policies, consent states, remembered facts, kept answers.

Frozen dataclasses apart from the queries (:mod:`tastemaker.store.privacy`), so that callers
(the engine, the API, the CLI) can name them without reading the SQL.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

Purpose = Literal["history", "memory", "marketing"]
PURPOSES: tuple[Purpose, ...] = ("history", "memory", "marketing")
PREFERENCE_KINDS = ("taste", "avoid", "size", "budget")
DAY = 86400.0


@dataclass(frozen=True, slots=True)
class Policy:
    """A workspace's retention periods (days; None keeps until erased) and consent defaults.

    The defaults apply to a person who has not said anything yet: personalization from history
    is on (it is what the engine is for, and the prompt's privacy notice says so), remembering
    answers and marketing use are off until the person opts in.
    """

    events_days: int | None = None
    answers_days: int | None = 365
    memory_days: int = 180
    default_history: bool = True
    default_memory: bool = False
    default_marketing: bool = False

    def default(self, purpose: Purpose) -> bool:
        return bool(getattr(self, f"default_{purpose}"))

    def to_json(self) -> dict[str, Any]:
        return {
            "events_days": self.events_days,
            "answers_days": self.answers_days,
            "memory_days": self.memory_days,
            "defaults": {p: self.default(p) for p in PURPOSES},
        }


DEFAULT_POLICY = Policy()


@dataclass(frozen=True, slots=True)
class ConsentState:
    """Where a person stands on one purpose; ``source`` is "default" when they never said."""

    purpose: Purpose
    granted: bool
    source: str
    recorded_at: float | None

    def to_json(self) -> dict[str, Any]:
        return {"granted": self.granted, "source": self.source, "recorded_at": self.recorded_at}


@dataclass(frozen=True, slots=True)
class Preference:
    """One thing remembered about a person."""

    id: int
    kind: str  # taste | avoid | size | budget
    name: str  # the attribute it is about
    value: str
    source: str  # the experience that heard it
    created_at: float
    expires_at: float

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "kind": self.kind,
            "name": self.name,
            "value": self.value,
            "source": self.source,
            "created_at": self.created_at,
            "expires_at": self.expires_at,
        }


@dataclass(frozen=True, slots=True)
class Memory:
    """What one answer leaves behind under memory consent: its redacted text and the facts."""

    workspace_id: int
    user_id: str
    request_id: str
    experience_key: str
    choice_id: str | None
    text: str
    facts: tuple[tuple[str, str, str], ...]  # (kind, name, value)
    created_at: float
    expires_at: float


@dataclass(frozen=True, slots=True)
class PersonState:
    """What the request path needs to know about a person, read in one round trip."""

    policy: Policy
    consent: dict[Purpose, bool]
    preferences: list[Preference] = field(default_factory=list)
