"""Tables of the measurement area: experiments, the workspace holdout, exposures, bandit state.

Defined on the shared :data:`tastemaker.store.models.metadata` (imported by ``models.py``) and
created by migration ``0003_experiments`` on its own Alembic branch (``bandit_days`` by
``0008_bandit_days``).
"""

from __future__ import annotations

from sqlalchemy import Column, Double, ForeignKey, Index, Integer, String, Table, UniqueConstraint

from tastemaker.store.models import ID_LEN, JsonType, metadata
from tastemaker.store.person import register_person_table

experiments = Table(
    "experiments",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column(
        "workspace_id",
        Integer,
        ForeignKey("workspaces.id", ondelete="CASCADE"),
        nullable=False,
    ),
    Column("key", String(64), nullable=False),
    Column("experience_key", String(64), nullable=False),
    Column("status", String(16), nullable=False),
    # Part of the assignment hash: a new experiment on the same people reshuffles them.
    Column("salt", String(64), nullable=False),
    Column("spec", JsonType, nullable=False),  # variants, metrics, planned units, alpha
    Column("created_at", Double, nullable=False),
    UniqueConstraint("workspace_id", "key"),
)

holdouts = Table(
    "holdouts",
    metadata,
    Column(
        "workspace_id",
        Integer,
        ForeignKey("workspaces.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column("share", Double, nullable=False),
    Column("salt", String(64), nullable=False),
    Column("created_at", Double, nullable=False),
)

# One row per unit and experiment, written on its first exposure (later ones are ignored by the
# primary key): the denominators of every analysis and of the sample-ratio check.
exposures = Table(
    "exposures",
    metadata,
    Column(
        "workspace_id",
        Integer,
        ForeignKey("workspaces.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column("experiment_key", String(64), primary_key=True),
    Column("unit_id", String(ID_LEN), primary_key=True),
    Column("variant", String(64), nullable=False),
    Column("first_ts", Double, nullable=False),
    Index(
        "ix_exposures_workspace_id_experiment_key_variant",
        "workspace_id",
        "experiment_key",
        "variant",
    ),
)

# Additive bandit statistics (pull counts, reward sums, linear-model cells), one number a row,
# so that every update is a single atomic ``value = value + :delta``.
bandit_stats = Table(
    "bandit_stats",
    metadata,
    Column(
        "workspace_id",
        Integer,
        ForeignKey("workspaces.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column("bandit", String(64), primary_key=True),
    Column("arm", String(64), primary_key=True),
    Column("stat", String(32), primary_key=True),
    Column("value", Double, nullable=False),
)

# Pulls and rewards of each arm per UTC day (days since the epoch), added to with every reward
# like ``bandit_stats``: the history behind the console's arm-share chart (migration 0008).
bandit_days = Table(
    "bandit_days",
    metadata,
    Column(
        "workspace_id",
        Integer,
        ForeignKey("workspaces.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column("bandit", String(64), primary_key=True),
    Column("arm", String(64), primary_key=True),
    Column("day", Integer, primary_key=True),
    Column("pulls", Double, nullable=False),
    Column("rewards", Double, nullable=False),
)

# An exposure names the person (the unit): export shows it, erasure deletes it (the analysis
# loses one unit; bandit statistics are sums that name nobody and stay).
register_person_table(exposures, user_column="unit_id")
