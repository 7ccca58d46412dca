"""Shared fixtures: a migrated :class:`Store` and a fresh workspace in it.

By default every test gets its own SQLite file, copied from a template migrated once per session
(copying is much faster than migrating). With ``TASTEMAKER_TEST_DATABASE_URL`` set to a
PostgreSQL URL, the same tests run against that database instead: its ``public`` schema is
dropped and recreated once per session, and tests keep out of each other's way by working in
the uniquely named workspace of the ``workspace`` fixture.

    TASTEMAKER_TEST_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/test pytest

Keep this file generic; fixtures for one area belong in that area's test module.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text

from tastemaker.store import Store, WorkspaceRecord

TEST_DATABASE_ENV = "TASTEMAKER_TEST_DATABASE_URL"

# The browser tests' session-wide servers and browser (one demo fit for all of them).
pytest_plugins = ["web_fixtures"]


@pytest.fixture(scope="session")
def _database(tmp_path_factory: pytest.TempPathFactory) -> str | Path:
    """The PostgreSQL URL (reset and migrated), or the path of a migrated SQLite template."""
    url = os.environ.get(TEST_DATABASE_ENV)
    if url:
        store = Store(url)
        try:
            with store.engine.begin() as conn:
                conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
                conn.execute(text("CREATE SCHEMA public"))
            store.migrate()
        finally:
            store.close()
        return url
    template = tmp_path_factory.mktemp("database") / "template.db"
    store = Store(f"sqlite:///{template}")
    try:
        store.migrate()
    finally:
        store.close()  # the last connection to close checkpoints the WAL into the file
    return template


@pytest.fixture
def store(_database: str | Path, tmp_path: Path) -> Iterator[Store]:
    """A migrated store: a private SQLite file, or the shared PostgreSQL test database."""
    if isinstance(_database, str):
        url = _database
    else:
        path = tmp_path / "tastemaker.db"
        shutil.copyfile(_database, path)
        url = f"sqlite:///{path}"
    s = Store(url)
    try:
        yield s
    finally:
        s.close()


@pytest.fixture
def workspace(store: Store, request: pytest.FixtureRequest) -> WorkspaceRecord:
    """A new workspace with a unique slug, so tests can share a PostgreSQL database."""
    slug = f"t-{uuid.uuid4().hex[:12]}"
    return store.create_workspace(slug, request.node.name[:200])
