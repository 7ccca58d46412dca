"""Tables of the report's daily rollups (migration 0009); the logic: ``store/rollups.py``
(building, reading) and ``store/rollup_marks.py`` (marking).

Kept next to one migration, like the other areas' tables; ``models.py`` imports this module so
that the one ``metadata`` (and Alembic's comparison test) sees them.

- ``rollup_days``: per workspace, closed UTC day, experience and variant, that day's counts as
  the live report computes them (JSON text), for one part: ``window_s`` 0 for what does not
  depend on the attribution window (served results, prompt events, engagement, the latency
  histogram), else one attribution window's conversions.
- ``rollup_built``: which (part, day) ``rollup_days`` holds; a day missing here is built by the
  next report.
- ``rollup_dirty``: append-only marks "this closed day changed", written in the same
  transaction as the change, consumed by the rebuild that read the data after them.
- ``rollup_visitors``: per experience, variant and person (``coalesce(user_id, request_id)``,
  as the report counts visitors), the last closed day they were served: distinct visitors over
  any window ending now, without reading the results.
- ``rollup_converters``: the same for converting people, per attribution window and
  conversion type: the last closed day each person was credited with a last touch (the day
  the credited result was served).

- ``rollup_people_days``: how many people's last closed day each day is, per figure
  (``visitors``, or a conversion type in its window), experience and variant: a report sums the
  days of its period instead of counting people. No person in it.

``rollup_visitors`` and ``rollup_converters`` name people: export and erasure cover them
(``register_person_table``).
"""

from __future__ import annotations

from sqlalchemy import (
    Column,
    Double,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
)

from tastemaker.store.models import ID_LEN, BigId, metadata
from tastemaker.store.person import register_person_table


def _workspace(primary_key: bool = True) -> Column[int]:
    return Column(
        "workspace_id",
        Integer,
        ForeignKey("workspaces.id", ondelete="CASCADE"),
        primary_key=primary_key,
        nullable=False,
    )


rollup_days = Table(
    "rollup_days",
    metadata,
    _workspace(),
    Column("window_s", Double, primary_key=True),  # 0: the part without conversions
    Column("day", Integer, primary_key=True),  # whole UTC days since the epoch
    Column("experience_key", String(64), primary_key=True),
    Column("variant", String(64), primary_key=True),
    # JSON text rather than JSON/JSONB: the numbers must come back as the very ints and floats
    # the live queries returned (JSONB keeps numerics, not Python's float repr).
    Column("counts", Text, nullable=False),
)

rollup_built = Table(
    "rollup_built",
    metadata,
    _workspace(),
    Column("window_s", Double, primary_key=True),
    Column("day", Integer, primary_key=True),
    Column("built_at", Double, nullable=False),
)

rollup_dirty = Table(
    "rollup_dirty",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    _workspace(primary_key=False),
    Column("day", Integer, nullable=False),
    Index("ix_rollup_dirty_workspace_id_day", "workspace_id", "day"),
)

rollup_visitors = Table(
    "rollup_visitors",
    metadata,
    _workspace(),
    Column("experience_key", String(64), primary_key=True),
    Column("variant", String(64), primary_key=True),
    Column("person", String(ID_LEN), primary_key=True),
    Column("last_day", Integer, nullable=False),
    # Counting those seen since a day reads this index only.
    Index(
        "ix_rollup_visitors_workspace_id_last_day",
        "workspace_id",
        "last_day",
        "experience_key",
        "variant",
    ),
    Index("ix_rollup_visitors_workspace_id_person", "workspace_id", "person"),
)

rollup_converters = Table(
    "rollup_converters",
    metadata,
    _workspace(),
    Column("window_s", Double, primary_key=True),
    Column("experience_key", String(64), primary_key=True),
    Column("variant", String(64), primary_key=True),
    Column("type", String(32), primary_key=True),
    Column("person", String(ID_LEN), primary_key=True),
    Column("last_day", Integer, nullable=False),
    Index(
        "ix_rollup_converters_workspace_id_window_s_last_day",
        "workspace_id",
        "window_s",
        "last_day",
        "experience_key",
        "variant",
        "type",
    ),
    Index("ix_rollup_converters_workspace_id_person", "workspace_id", "person"),
)

rollup_people_days = Table(
    "rollup_people_days",
    metadata,
    _workspace(),
    Column("window_s", Double, primary_key=True),  # 0: visitors
    Column("figure", String(32), primary_key=True),  # "visitors" or a conversion type
    Column("experience_key", String(64), primary_key=True),
    Column("variant", String(64), primary_key=True),
    Column("last_day", Integer, primary_key=True),
    Column("people", Integer, nullable=False),
)

# Derived from the person's rows, but naming them all the same: erasure deletes these rows
# (the rebuild the erasure marks then counts their anonymized results), export lists them.
register_person_table(rollup_visitors, user_column="person")
register_person_table(rollup_converters, user_column="person")

__all__ = [
    "rollup_built",
    "rollup_converters",
    "rollup_days",
    "rollup_dirty",
    "rollup_people_days",
    "rollup_visitors",
]
