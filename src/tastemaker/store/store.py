"""The Store: the core tables (workspaces, keys, items, events, users, experiences, served
results) on SQLite or PostgreSQL; each other area's statements sit beside it in this package,
and the events insert of each dialect in :mod:`tastemaker.store.bulk`.

Nothing outside the package opens a connection. Reads return small frozen records; writes are
bulk and idempotent (``INSERT ... ON CONFLICT``, written with each dialect's own ``insert``
construct), so a retried request or a re-sent file changes nothing the second time.

Bulk writes accept any iterable and consume it in chunks inside one transaction: the ingest
module streams a validated file through them, and an exception raised by the iterable (a bad
row) rolls the whole batch back.
"""

from __future__ import annotations

import hashlib
import re
import secrets
import time
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import orjson
from sqlalchemy import (
    Connection,
    Engine,
    create_engine,
    event,
    func,
    or_,
    select,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import make_url
from sqlalchemy.exc import IntegrityError
from sqlalchemy.schema import Table

from tastemaker.errors import InvalidInput, NotFound
from tastemaker.store import rollup_marks
from tastemaker.store.bulk import (
    WRITE_CHUNK,
    chunks,
    insert_events_postgresql,
    insert_events_sqlite,
    json_dumps,
)
from tastemaker.store.models import (
    api_keys,
    events,
    experiences,
    items,
    latest_experiences,
    served,
    users,
    workspaces,
)
from tastemaker.store.partitions import EventPartitions
from tastemaker.store.records import (
    SCOPES,
    ApiKeyRecord,
    EventRecord,
    ExperienceRecord,
    HistoryRow,
    ItemRecord,
    ServedRecord,
    WorkspaceRecord,
)

if TYPE_CHECKING:
    from tastemaker.ingest import EventIn, ItemIn

SLUG_PATTERN = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")

# Rows per executemany: large enough to amortize the round trip and statement compilation,
# small enough that one RETURNING batch stays a few MB.
READ_CHUNK = 2_000


def hash_key(raw: str) -> str:
    """The stored form of an API key."""
    return hashlib.sha256(raw.encode()).hexdigest()


def _sqlite_setup(engine: Engine, *, memory: bool) -> None:
    """PRAGMAs for every new SQLite connection, and real transactions.

    WAL lets readers (API workers) proceed while an ingest writes; synchronous=NORMAL is safe
    with WAL and much faster. pysqlite's own transaction handling would begin lazily at the first
    write; the recipe below (from the SQLAlchemy docs) makes ``engine.begin()`` a real BEGIN, so
    a bulk ingest is all-or-nothing.
    """

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        if not memory:
            cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA busy_timeout=10000")
        cur.execute("PRAGMA cache_size=-65536")  # 64 MB: keeps the event indexes in memory
        cur.execute("PRAGMA temp_store=MEMORY")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        conn.exec_driver_sql(conn.get_execution_options().get("sqlite_begin", "BEGIN"))


def _item_record(row: Any) -> ItemRecord:  # a Row of _ITEM_COLUMNS
    return ItemRecord(
        id=row.item_id,
        title=row.title,
        text=row.text,
        attributes=row.attributes,
        price=row.price,
        available=bool(row.available),
        url=row.url,
        updated_at=row.updated_at,
    )


def _event_record(row: Any) -> EventRecord:  # a Row of _EVENT_COLUMNS
    return EventRecord(
        event_id=row.event_id,
        user_id=row.user_id,
        item_id=row.item_id,
        type=row.type,
        value=row.value,
        ts=row.ts,
        request_id=row.request_id,
        context=row.context,
    )


_ITEM_COLUMNS = (
    items.c.item_id,
    items.c.title,
    items.c.text,
    items.c.attributes,
    items.c.price,
    items.c.available,
    items.c.url,
    items.c.updated_at,
)
_EVENT_COLUMNS = (
    events.c.event_id,
    events.c.user_id,
    events.c.item_id,
    events.c.type,
    events.c.value,
    events.c.ts,
    events.c.request_id,
    events.c.context,
)
_ITEM_DATA = ("title", "text", "attributes", "price", "available", "url")


class Store:
    """All persistence for tastemaker, on a SQLAlchemy URL (SQLite or PostgreSQL)."""

    def __init__(self, url: str, *, echo: bool = False) -> None:
        parsed = make_url(url)
        backend = parsed.get_backend_name()
        if backend not in ("sqlite", "postgresql"):
            raise InvalidInput(
                f"unsupported database {backend!r}; use sqlite:/// or postgresql+psycopg://",
                field="database_url",
            )
        self.url = url
        self.dialect: Literal["sqlite", "postgresql"] = (
            "sqlite" if backend == "sqlite" else "postgresql"
        )
        memory = backend == "sqlite" and parsed.database in (None, "", ":memory:")
        if backend == "sqlite" and not memory and parsed.database:
            Path(parsed.database).expanduser().parent.mkdir(parents=True, exist_ok=True)
        self.engine: Engine = create_engine(
            url,
            echo=echo,
            json_serializer=json_dumps,
            json_deserializer=orjson.loads,
            pool_pre_ping=backend == "postgresql",
        )
        if backend == "sqlite":
            _sqlite_setup(self.engine, memory=memory)
        # Which monthly partitions of ``events`` exist (PostgreSQL only; unused on SQLite).
        self.partitions = EventPartitions()

    def __repr__(self) -> str:
        return f"Store({self.engine.url.render_as_string(hide_password=True)!r})"

    def close(self) -> None:
        """Release pooled connections (SQLite checkpoints its WAL when the last one closes)."""
        self.engine.dispose()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def _insert(self, table: Table) -> postgresql.Insert | sqlite.Insert:
        if self.dialect == "postgresql":
            return postgresql.insert(table)
        return sqlite.insert(table)

    # -- schema ------------------------------------------------------------------------------

    def migrate(self, revision: str = "heads") -> None:
        """Bring the schema up to ``revision`` with the migrations shipped in the package.

        ``heads`` rather than ``head``: each area (privacy, measurement, copy) keeps its tables in
        its own migration branch off the initial schema, so the areas can evolve independently.
        """
        from alembic import command
        from alembic.config import Config

        pkg = resources.files("tastemaker.store")
        with (
            resources.as_file(pkg / "alembic.ini") as ini,
            resources.as_file(pkg / "migrations") as scripts,
        ):
            cfg = Config(str(ini))
            cfg.set_main_option("script_location", str(scripts))
            with self.engine.begin() as conn:
                cfg.attributes["connection"] = conn
                command.upgrade(cfg, revision)

    # -- workspaces and keys -----------------------------------------------------------------

    def create_workspace(self, slug: str, name: str | None = None) -> WorkspaceRecord:
        """Create a workspace; the slug is its stable, URL-safe name."""
        if not SLUG_PATTERN.match(slug):
            raise InvalidInput(
                "use 1-64 lowercase letters, digits, '-' or '_', starting with a letter or digit",
                field="slug",
            )
        name = name or slug
        try:
            with self.engine.begin() as conn:
                ws_id = conn.execute(
                    workspaces.insert()
                    .values(slug=slug, name=name, catalog_version=0, created_at=time.time())
                    .returning(workspaces.c.id)
                ).scalar_one()
        except IntegrityError:
            raise InvalidInput(f"workspace {slug!r} already exists", field="slug") from None
        return WorkspaceRecord(id=ws_id, slug=slug, name=name)

    def get_workspace(self, slug: str) -> WorkspaceRecord | None:
        with self.engine.connect() as conn:
            row = conn.execute(
                select(workspaces.c.id, workspaces.c.slug, workspaces.c.name).where(
                    workspaces.c.slug == slug
                )
            ).first()
        return None if row is None else WorkspaceRecord(row.id, row.slug, row.name)

    def list_workspaces(self) -> list[WorkspaceRecord]:
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(workspaces.c.id, workspaces.c.slug, workspaces.c.name).order_by(
                    workspaces.c.slug
                )
            ).all()
        return [WorkspaceRecord(r.id, r.slug, r.name) for r in rows]

    def create_api_key(self, slug: str, scope: str) -> str:
        """Create a key and return it raw, once; only its sha256 is stored.

        Public keys (``tm_pk_``) may be embedded in a web page and only fetch answers and send
        events; admin keys (``tm_sk_``) manage the workspace. The prefix makes a leaked key
        recognisable.
        """
        if scope not in SCOPES:
            raise InvalidInput("scope must be 'public' or 'admin'", field="scope")
        ws = self.get_workspace(slug)
        if ws is None:
            raise NotFound(f"workspace {slug!r} not found")
        raw = ("tm_sk_" if scope == "admin" else "tm_pk_") + secrets.token_urlsafe(32)
        with self.engine.begin() as conn:
            conn.execute(
                api_keys.insert().values(
                    workspace_id=ws.id, key_hash=hash_key(raw), scope=scope, created_at=time.time()
                )
            )
        return raw

    def authenticate(self, raw: str) -> ApiKeyRecord | None:
        """The key's workspace and scope, or None for an unknown key."""
        if not raw:
            return None
        with self.engine.connect() as conn:
            row = conn.execute(
                select(api_keys.c.workspace_id, api_keys.c.scope, workspaces.c.slug)
                .join(workspaces, workspaces.c.id == api_keys.c.workspace_id)
                .where(api_keys.c.key_hash == hash_key(raw))
            ).first()
        if row is None:
            return None
        return ApiKeyRecord(workspace_id=row.workspace_id, workspace_slug=row.slug, scope=row.scope)

    # -- items -------------------------------------------------------------------------------

    def upsert_items(self, ws_id: int, items_in: Iterable[ItemIn]) -> int:
        """Insert or update items by id; returns how many were new or changed.

        Unchanged items are not rewritten (the ``WHERE`` of the upsert compares every field), so
        re-sending a catalog is a no-op and does not bump the catalog version.
        """
        ins = self._insert(items)
        exc = ins.excluded
        stmt = ins.on_conflict_do_update(
            index_elements=[items.c.workspace_id, items.c.item_id],
            set_={c: exc[c] for c in (*_ITEM_DATA, "updated_at")},
            where=or_(*(items.c[c].is_distinct_from(exc[c]) for c in _ITEM_DATA)),
        ).returning(items.c.item_id)
        changed = 0
        with self.engine.begin() as conn:
            for chunk in chunks(items_in, WRITE_CHUNK):
                now = time.time()
                # One statement may not update a row twice (PostgreSQL): the last copy wins.
                rows = {
                    it.id: {
                        "workspace_id": ws_id,
                        "item_id": it.id,
                        "title": it.title,
                        "text": it.text,
                        "attributes": it.attributes,
                        "price": it.price,
                        "available": it.available,
                        "url": it.url,
                        "updated_at": now,
                    }
                    for it in chunk
                }
                changed += len(conn.execute(stmt, list(rows.values())).all())
            if changed:
                conn.execute(
                    update(workspaces)
                    .where(workspaces.c.id == ws_id)
                    .values(catalog_version=workspaces.c.catalog_version + 1)
                )
        return changed

    def iter_items(self, ws_id: int) -> Iterator[ItemRecord]:
        """Every item of the workspace, ordered by id, streamed."""
        stmt = select(*_ITEM_COLUMNS).where(items.c.workspace_id == ws_id).order_by(items.c.item_id)
        with self.engine.connect() as conn:
            for row in conn.execution_options(yield_per=READ_CHUNK).execute(stmt):
                yield _item_record(row)

    def get_items(self, ws_id: int, ids: Sequence[str]) -> list[ItemRecord]:
        """The items with these ids, in the order asked; unknown ids are left out."""
        found: dict[str, ItemRecord] = {}
        with self.engine.connect() as conn:
            for chunk in chunks(dict.fromkeys(ids), 500):
                stmt = select(*_ITEM_COLUMNS).where(
                    items.c.workspace_id == ws_id, items.c.item_id.in_(chunk)
                )
                found.update((r.item_id, _item_record(r)) for r in conn.execute(stmt))
        return [found[i] for i in ids if i in found]

    def count_items(self, ws_id: int) -> int:
        with self.engine.connect() as conn:
            return int(
                conn.execute(
                    select(func.count()).select_from(items).where(items.c.workspace_id == ws_id)
                ).scalar_one()
            )

    def catalog_version(self, ws_id: int) -> int:
        """A counter bumped by every change to the workspace's items."""
        with self.engine.connect() as conn:
            version = conn.execute(
                select(workspaces.c.catalog_version).where(workspaces.c.id == ws_id)
            ).scalar_one_or_none()
        if version is None:
            raise NotFound(f"workspace {ws_id} not found")
        return int(version)

    # -- events and users --------------------------------------------------------------------

    def insert_events(self, ws_id: int, events_in: Iterable[EventIn]) -> int:
        """Store events; returns how many were new. Duplicates (same event_id) are ignored.

        The users table (first/last seen, event count) is updated from the events actually
        inserted, with one aggregated statement, so re-sending never inflates counts.

        This is the hot ingest path (tens of thousands of rows per second), so rows go to the
        driver as plain tuples or arrays, skipping SQLAlchemy's per-row parameter processing.
        """
        if self.dialect == "postgresql":
            return insert_events_postgresql(self.engine, self.partitions, ws_id, events_in)
        return insert_events_sqlite(self.engine, ws_id, events_in)

    def iter_events(self, ws_id: int) -> Iterator[EventRecord]:
        """Every event of the workspace, oldest first, streamed."""
        stmt = (
            select(*_EVENT_COLUMNS)
            .where(events.c.workspace_id == ws_id)
            .order_by(events.c.ts, events.c.id)
        )
        with self.engine.connect() as conn:
            for row in conn.execution_options(yield_per=READ_CHUNK).execute(stmt):
                yield _event_record(row)

    def count_events(self, ws_id: int) -> int:
        with self.engine.connect() as conn:
            return int(
                conn.execute(
                    select(func.count()).select_from(events).where(events.c.workspace_id == ws_id)
                ).scalar_one()
            )

    def user_events(self, ws_id: int, user_id: str, limit: int = 500) -> list[EventRecord]:
        """One user's most recent events, newest first."""
        stmt = (
            select(*_EVENT_COLUMNS)
            .where(events.c.workspace_id == ws_id, events.c.user_id == user_id)
            .order_by(events.c.ts.desc(), events.c.id.desc())
            .limit(limit)
        )
        with self.engine.connect() as conn:
            return [_event_record(r) for r in conn.execute(stmt)]

    @contextmanager
    def reader(self) -> Iterator[Any]:
        """A DB-API cursor for the request path's small reads (parameters in :attr:`param`).

        Every answer for a known person reads their consent and history. Through SQLAlchemy's
        execution layer each read also pays for an explicit BEGIN and ROLLBACK (see
        ``_sqlite_setup``) and result wrapping: about 0.2 ms a query on SQLite, three times the
        query itself. A lone SELECT needs no transaction, so these reads take a pooled
        connection's cursor directly. A connection that broke under it is invalidated, not
        pooled again, as SQLAlchemy's own execution would do.
        """
        conn = self.engine.raw_connection()
        cur = conn.cursor()
        try:
            yield cur
        except self.engine.dialect.loaded_dbapi.Error as exc:
            if self.engine.dialect.is_disconnect(exc, conn.dbapi_connection, cur):
                conn.invalidate(exc)
            raise
        finally:
            cur.close()
            conn.close()

    @property
    def param(self) -> str:
        """The driver's placeholder for :meth:`reader` queries."""
        return "?" if self.dialect == "sqlite" else "%s"

    def user_history(self, ws_id: int, user_id: str, limit: int = 200) -> list[HistoryRow]:
        """The lean form of ``user_events`` that the request path reads: four columns, no JSON,
        straight from the driver (:meth:`reader`) using the index on (workspace, user, ts)."""
        p = self.param
        sql = (
            "SELECT item_id, type, value, ts FROM events "
            f"WHERE workspace_id = {p} AND user_id = {p} ORDER BY ts DESC, id DESC LIMIT {p}"
        )
        with self.reader() as cur:
            cur.execute(sql, (ws_id, user_id, limit))
            return [HistoryRow(*r) for r in cur.fetchall()]

    def list_users(self, ws_id: int, limit: int = 50) -> list[str]:
        """User ids, most active first (ties by id, for a stable order)."""
        stmt = (
            select(users.c.user_id)
            .where(users.c.workspace_id == ws_id)
            .order_by(users.c.event_count.desc(), users.c.user_id)
            .limit(limit)
        )
        with self.engine.connect() as conn:
            return list(conn.execute(stmt).scalars())

    # -- experiences -------------------------------------------------------------------------

    def save_experience(self, ws_id: int, spec: dict[str, Any]) -> int:
        """Save a spec under its ``key``; returns its version.

        An unchanged spec (same canonical JSON) keeps its version; any change becomes the next
        version, so a served result can always be traced to the exact spec that made it. Pass
        ``ExperienceSpec.model_dump(mode="json")`` so that omitted defaults compare equal.
        """
        key = spec.get("key")
        if not isinstance(key, str) or not key:
            raise InvalidInput("an experience spec needs a string 'key'", field="key")
        spec_hash = hashlib.sha256(json_dumps(spec).encode()).hexdigest()
        for attempt in range(3):
            try:
                with self.engine.begin() as conn:
                    latest = conn.execute(
                        select(experiences.c.version, experiences.c.spec_hash)
                        .where(experiences.c.workspace_id == ws_id, experiences.c.key == key)
                        .order_by(experiences.c.version.desc())
                        .limit(1)
                    ).first()
                    if latest is not None and latest.spec_hash == spec_hash:
                        return int(latest.version)
                    version = 1 if latest is None else int(latest.version) + 1
                    conn.execute(
                        experiences.insert().values(
                            workspace_id=ws_id,
                            key=key,
                            version=version,
                            spec=spec,
                            spec_hash=spec_hash,
                            created_at=time.time(),
                        )
                    )
                    return version
            except IntegrityError:
                # A concurrent save took this version number; read again and retry.
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")

    def get_experience(
        self, ws_id: int, key: str, version: int | None = None
    ) -> ExperienceRecord | None:
        """One version of an experience, the latest when ``version`` is None."""
        stmt = select(
            experiences.c.key, experiences.c.version, experiences.c.spec, experiences.c.created_at
        ).where(experiences.c.workspace_id == ws_id, experiences.c.key == key)
        if version is None:
            stmt = stmt.order_by(experiences.c.version.desc()).limit(1)
        else:
            stmt = stmt.where(experiences.c.version == version)
        with self.engine.connect() as conn:
            row = conn.execute(stmt).first()
        return (
            None
            if row is None
            else ExperienceRecord(row.key, row.version, row.spec, row.created_at)
        )

    def list_experiences(self, ws_id: int) -> list[ExperienceRecord]:
        """The latest version of each experience, by key."""
        x = experiences
        stmt = latest_experiences(ws_id, x.c.key, x.c.version, x.c.spec, x.c.created_at).order_by(
            x.c.key
        )
        with self.engine.connect() as conn:
            return [
                ExperienceRecord(r.key, r.version, r.spec, r.created_at) for r in conn.execute(stmt)
            ]

    # -- served ------------------------------------------------------------------------------

    def record_served(self, rows: Sequence[ServedRecord]) -> None:
        """Record served answers in one statement; a request id already recorded is ignored.

        A result of a closed day (written late, e.g. just after midnight) marks the report's
        rollup days it changes, in the same transaction.
        """
        if not rows:
            return
        stmt = self._insert(served).on_conflict_do_nothing(
            index_elements=[served.c.workspace_id, served.c.request_id]
        )
        with self.engine.begin() as conn:
            conn.execute(
                stmt,
                [
                    {
                        "workspace_id": r.workspace_id,
                        "request_id": r.request_id,
                        "experience_key": r.experience_key,
                        "experience_version": r.experience_version,
                        "variant": r.variant,
                        "user_id": r.user_id,
                        "item_ids": list(r.item_ids),
                        "fallback": r.fallback,
                        "created_at": r.created_at,
                        "latency_ms": r.latency_ms,
                    }
                    for r in rows
                ],
            )
            by_ws: dict[int, list[ServedRecord]] = {}
            for r in rows:
                by_ws.setdefault(r.workspace_id, []).append(r)
            for ws_id, mine in by_ws.items():
                rollup_marks.mark_served(conn, ws_id, mine)

    def get_served(self, ws_id: int, request_id: str) -> ServedRecord | None:
        stmt = select(served).where(
            served.c.workspace_id == ws_id, served.c.request_id == request_id
        )
        with self.engine.connect() as conn:
            r = conn.execute(stmt).first()
        if r is None:
            return None
        return ServedRecord(
            workspace_id=r.workspace_id,
            request_id=r.request_id,
            experience_key=r.experience_key,
            experience_version=r.experience_version,
            variant=r.variant,
            user_id=r.user_id,
            item_ids=tuple(r.item_ids),
            fallback=bool(r.fallback),
            created_at=r.created_at,
            latency_ms=r.latency_ms,
        )
