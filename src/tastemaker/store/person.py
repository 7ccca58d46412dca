"""The registry of tables that hold a person, which export and erasure walk.

Export and erasure must cover every table that names a person, including tables that other
areas add later (webhooks' pending payloads, experiment assignments...). Rather than each
feature remembering to extend a hand-written list of queries, a table that holds a person
registers itself once, next to its definition::

    register_person_table(webhook_deliveries)                       # deleted on erasure
    register_person_table(served, on_erase="anonymize")             # kept, user id set NULL
    register_person_table(assignments, user_column="subject_id")    # another column name

and :func:`export_person` / :func:`erase_person` cover it from then on, in one transaction.
``tests/test_privacy_erasure.py`` then scans *every* table found by inspecting the live
database, so a table that holds a person but was not registered fails the suite.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from sqlalchemy import Connection, Table, delete, select, update

OnErase = Literal["delete", "anonymize"]


@dataclass(frozen=True, slots=True)
class PersonTable:
    """A table with one column naming the person, scoped by a workspace column.

    ``on_erase="anonymize"`` sets the person's column to NULL instead of deleting the row: for
    rows that feed aggregates (served results count towards experiment totals) once they no
    longer say who. The column must then be nullable and no other column may identify them.
    """

    table: Table
    user_column: str = "user_id"
    workspace_column: str = "workspace_id"
    on_erase: OnErase = "delete"
    export: bool = True

    @property
    def name(self) -> str:
        return str(self.table.name)  # a plain str: Table.name is a str subclass


PERSON_TABLES: dict[str, PersonTable] = {}


def register_person_table(
    table: Table,
    *,
    user_column: str = "user_id",
    workspace_column: str = "workspace_id",
    on_erase: OnErase = "delete",
    export: bool = True,
) -> PersonTable:
    """Make export and erasure cover ``table``; registering the same table again replaces it."""
    for column in (user_column, workspace_column):
        if column not in table.c:
            raise ValueError(f"table {table.name!r} has no column {column!r}")
    if on_erase == "anonymize" and not table.c[user_column].nullable:
        raise ValueError(f"{table.name}.{user_column} must be nullable to be anonymized")
    entry = PersonTable(table, user_column, workspace_column, on_erase, export)
    PERSON_TABLES[entry.name] = entry
    return entry


def _json_safe(value: Any) -> Any:
    if isinstance(value, bytes | bytearray | memoryview):
        return bytes(value).hex()
    return value


def export_person(conn: Connection, ws_id: int, user_id: str) -> dict[str, list[dict[str, Any]]]:
    """Every registered table's rows for the person, as plain dicts (workspace column dropped)."""
    out: dict[str, list[dict[str, Any]]] = {}
    for entry in PERSON_TABLES.values():
        if not entry.export:
            continue
        t = entry.table
        stmt = select(t).where(
            t.c[entry.workspace_column] == ws_id, t.c[entry.user_column] == user_id
        )
        pk = list(t.primary_key.columns)
        if pk:
            stmt = stmt.order_by(*pk)
        out[entry.name] = [
            {str(k): _json_safe(v) for k, v in row.items() if k != entry.workspace_column}
            for row in conn.execute(stmt).mappings()
        ]
    return out


def erase_person(conn: Connection, ws_id: int, user_id: str) -> dict[str, int]:
    """Delete (or anonymize) the person's rows in every registered table; rows per table."""
    counts: dict[str, int] = {}
    for entry in PERSON_TABLES.values():
        t = entry.table
        where = (t.c[entry.workspace_column] == ws_id, t.c[entry.user_column] == user_id)
        if entry.on_erase == "delete":
            result = conn.execute(delete(t).where(*where))
        else:
            result = conn.execute(update(t).where(*where).values({entry.user_column: None}))
        counts[entry.name] = int(result.rowcount or 0)
    return counts
