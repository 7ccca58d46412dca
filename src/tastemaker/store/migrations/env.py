"""Alembic environment for the tastemaker store.

``Store.migrate()`` passes its own open connection in ``config.attributes["connection"]`` so that
migrations run on exactly the engine (and SQLite PRAGMAs) the store uses. Run by hand, the URL
comes from ``-x url=...`` or ``sqlalchemy.url`` in ``alembic.ini``.
"""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection, create_engine

from tastemaker.store.models import metadata
from tastemaker.store.partitions import include_in_comparison

config = context.config


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=metadata,
        # SQLite cannot ALTER most things; batch mode recreates the table instead.
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
        include_object=include_in_comparison(connection.dialect.name),
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    url = context.get_x_argument(as_dictionary=True).get("url") or config.get_main_option(
        "sqlalchemy.url"
    )
    engine = create_engine(str(url))
    try:
        with engine.connect() as conn:
            _run(conn)
    finally:
        engine.dispose()


if context.is_offline_mode():
    raise SystemExit("tastemaker migrations run online only (Store.migrate())")
run_migrations_online()
