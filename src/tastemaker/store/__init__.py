"""Persistence: SQLAlchemy tables, Alembic migrations and the :class:`Store` (all SQL lives here).

SQLite (the embedded default) and PostgreSQL run the same code; the test suite runs against
both (set ``TASTEMAKER_TEST_DATABASE_URL`` to a PostgreSQL URL).
"""

from __future__ import annotations

from tastemaker.store.records import (
    SCOPES,
    ApiKeyRecord,
    EventRecord,
    ExperienceRecord,
    HistoryRow,
    ItemRecord,
    Scope,
    ServedRecord,
    WorkspaceRecord,
)
from tastemaker.store.store import Store, hash_key

__all__ = [
    "SCOPES",
    "ApiKeyRecord",
    "EventRecord",
    "ExperienceRecord",
    "HistoryRow",
    "ItemRecord",
    "Scope",
    "ServedRecord",
    "Store",
    "WorkspaceRecord",
    "hash_key",
]
