"""What the store hands back: small frozen records, one per table's row shape.

Kept apart from the SQL so that callers (the engine, the API, the tests) can name these types
without reading how they are queried.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any, Literal, NamedTuple

Scope = Literal["public", "admin"]
SCOPES: tuple[Scope, ...] = ("public", "admin")


@dataclass(frozen=True, slots=True)
class WorkspaceRecord:
    id: int
    slug: str
    name: str


@dataclass(frozen=True, slots=True)
class ApiKeyRecord:
    """Who a presented key belongs to and what it may do."""

    workspace_id: int
    workspace_slug: str
    scope: Scope


@dataclass(frozen=True, slots=True)
class ItemRecord:
    id: str
    title: str
    text: str
    attributes: dict[str, Any]
    price: float | None
    available: bool
    url: str | None
    updated_at: float


@dataclass(frozen=True, slots=True)
class EventRecord:
    event_id: str
    user_id: str
    item_id: str | None
    type: str
    value: float | None
    ts: float
    request_id: str | None
    context: dict[str, Any] | None


class HistoryRow(NamedTuple):
    """One of a person's events as the profile needs it."""

    item_id: str | None
    type: str
    value: float | None
    ts: float


@dataclass(frozen=True, slots=True)
class ExperienceRecord:
    key: str
    version: int
    spec: dict[str, Any]
    created_at: float


@dataclass(frozen=True, slots=True)
class ServedRecord:
    """One served answer: what was shown, by which experience version, how fast.

    Recorded so that later events carrying the ``request_id`` can be attributed to the exact
    experience version and variant that produced the result.
    """

    workspace_id: int
    request_id: str
    experience_key: str
    experience_version: int
    variant: str
    user_id: str | None
    item_ids: tuple[str, ...]
    fallback: bool = False
    created_at: float = field(default_factory=time.time)
    latency_ms: float | None = None
