"""The metrics report's daily rollups, and the index that makes their percentiles exact.

Six tables (see ``store/rollup_tables.py``): each closed day's counts per experience and
variant, which days are built, append-only marks of days that changed, each person's last
closed day served (distinct visitors over any window ending now) and last closed day credited
with a conversion (converting people, likewise), and how many people's last day each day is.
Plus an index on served results by (experience, variant, latency): a percentile over a month
is found in the merged daily histograms to 0.1 ms, then read exactly from there; and one on
answer logs by time (the open day's choice counts).

Its own branch off the initial schema (``Store.migrate`` upgrades every head), like 0003-0008,
after 0005 (the answer logs' table); written by hand and self-contained.

Revision ID: 0009
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision: str | None = "0001"
branch_labels: tuple[str, ...] | None = ("rollups",)
# The index on answer logs needs their table (the journey's branch).
depends_on: tuple[str, ...] | None = ("0005",)


def _workspace() -> sa.Column[int]:
    return sa.Column("workspace_id", sa.Integer, nullable=False)


def _fk(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["workspace_id"],
        ["workspaces.id"],
        ondelete="CASCADE",
        name=f"fk_{table}_workspace_id_workspaces",
    )


def upgrade() -> None:
    op.create_table(
        "rollup_days",
        _workspace(),
        sa.Column("window_s", sa.Double, nullable=False),
        sa.Column("day", sa.Integer, nullable=False),
        sa.Column("experience_key", sa.String(64), nullable=False),
        sa.Column("variant", sa.String(64), nullable=False),
        sa.Column("counts", sa.Text, nullable=False),
        sa.PrimaryKeyConstraint(
            "workspace_id", "window_s", "day", "experience_key", "variant", name="pk_rollup_days"
        ),
        _fk("rollup_days"),
    )
    op.create_table(
        "rollup_built",
        _workspace(),
        sa.Column("window_s", sa.Double, nullable=False),
        sa.Column("day", sa.Integer, nullable=False),
        sa.Column("built_at", sa.Double, nullable=False),
        sa.PrimaryKeyConstraint("workspace_id", "window_s", "day", name="pk_rollup_built"),
        _fk("rollup_built"),
    )
    op.create_table(
        "rollup_dirty",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            nullable=False,
            autoincrement=True,
        ),
        _workspace(),
        sa.Column("day", sa.Integer, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_rollup_dirty"),
        _fk("rollup_dirty"),
    )
    op.create_index("ix_rollup_dirty_workspace_id_day", "rollup_dirty", ["workspace_id", "day"])
    op.create_table(
        "rollup_visitors",
        _workspace(),
        sa.Column("experience_key", sa.String(64), nullable=False),
        sa.Column("variant", sa.String(64), nullable=False),
        sa.Column("person", sa.String(128), nullable=False),
        sa.Column("last_day", sa.Integer, nullable=False),
        sa.PrimaryKeyConstraint(
            "workspace_id", "experience_key", "variant", "person", name="pk_rollup_visitors"
        ),
        _fk("rollup_visitors"),
    )
    op.create_index(
        "ix_rollup_visitors_workspace_id_last_day",
        "rollup_visitors",
        ["workspace_id", "last_day", "experience_key", "variant"],
    )
    op.create_index(
        "ix_rollup_visitors_workspace_id_person", "rollup_visitors", ["workspace_id", "person"]
    )
    op.create_table(
        "rollup_converters",
        _workspace(),
        sa.Column("window_s", sa.Double, nullable=False),
        sa.Column("experience_key", sa.String(64), nullable=False),
        sa.Column("variant", sa.String(64), nullable=False),
        sa.Column("type", sa.String(32), nullable=False),
        sa.Column("person", sa.String(128), nullable=False),
        sa.Column("last_day", sa.Integer, nullable=False),
        sa.PrimaryKeyConstraint(
            "workspace_id",
            "window_s",
            "experience_key",
            "variant",
            "type",
            "person",
            name="pk_rollup_converters",
        ),
        _fk("rollup_converters"),
    )
    op.create_index(
        "ix_rollup_converters_workspace_id_window_s_last_day",
        "rollup_converters",
        ["workspace_id", "window_s", "last_day", "experience_key", "variant", "type"],
    )
    op.create_index(
        "ix_rollup_converters_workspace_id_person", "rollup_converters", ["workspace_id", "person"]
    )
    op.create_table(
        "rollup_people_days",
        _workspace(),
        sa.Column("window_s", sa.Double, nullable=False),
        sa.Column("figure", sa.String(32), nullable=False),
        sa.Column("experience_key", sa.String(64), nullable=False),
        sa.Column("variant", sa.String(64), nullable=False),
        sa.Column("last_day", sa.Integer, nullable=False),
        sa.Column("people", sa.Integer, nullable=False),
        sa.PrimaryKeyConstraint(
            "workspace_id",
            "window_s",
            "figure",
            "experience_key",
            "variant",
            "last_day",
            name="pk_rollup_people_days",
        ),
        _fk("rollup_people_days"),
    )
    op.create_index(
        "ix_served_latency",
        "served",
        ["workspace_id", "experience_key", "variant", "latency_ms", "created_at"],
    )
    op.create_index(
        "ix_prompt_answers_workspace_id_created_at",
        "prompt_answers",
        ["workspace_id", "created_at"],
    )


def downgrade() -> None:
    op.drop_index("ix_prompt_answers_workspace_id_created_at", table_name="prompt_answers")
    op.drop_index("ix_served_latency", table_name="served")
    for table in (
        "rollup_people_days",
        "rollup_converters",
        "rollup_visitors",
        "rollup_dirty",
        "rollup_built",
        "rollup_days",
    ):
        op.drop_table(table)
