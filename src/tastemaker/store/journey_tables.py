"""Tables of the journey (migration 0005): identities, prompt answers, saved answers.

Kept out of ``models.py`` so that each area's tables sit next to one migration; ``models.py``
imports this module so that the one ``metadata`` (and Alembic's comparison test) sees them.

- ``identities`` links an anonymous id (a browser before login) to the person's user id, so
  metrics and history count the person once (session stitching).
- ``prompt_answers`` is what a served request was asked and answered: the choice, the redacted
  free text, the model's confidence, and for a follow-up or a refinement the request it refines.
  The ``served`` table says what was shown; this one says what it was shown for.
- ``saved_answers`` are answers a person asked us to remember for one experience (the
  ``remember`` flag), kept only with their consent to memory (see ``progressive.py``).
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
    UniqueConstraint,
)

from tastemaker.store.models import ID_LEN, BigId, metadata, served
from tastemaker.store.person import register_person_table

identities = Table(
    "identities",
    metadata,
    Column(
        "workspace_id",
        Integer,
        ForeignKey("workspaces.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column("anonymous_id", String(ID_LEN), primary_key=True),
    Column("user_id", String(ID_LEN), nullable=False),
    Column("linked_at", Double, nullable=False),
    Index("ix_identities_workspace_id_user_id", "workspace_id", "user_id"),
)

prompt_answers = Table(
    "prompt_answers",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column(
        "workspace_id",
        Integer,
        ForeignKey("workspaces.id", ondelete="CASCADE"),
        nullable=False,
    ),
    Column("request_id", String(ID_LEN), nullable=False),
    # "answer" (the first question), "followup" or "refine"; the last two name their parent.
    Column("kind", String(16), nullable=False),
    Column("parent_request_id", String(ID_LEN), nullable=True),
    Column("experience_key", String(64), nullable=False),
    Column("variant", String(64), nullable=False),
    Column("user_id", String(ID_LEN), nullable=True),
    Column("choice_id", String(64), nullable=True),
    Column("text", Text, nullable=True),  # redacted by the capture stage, never the raw text
    Column("confidence", Double, nullable=True),
    Column("created_at", Double, nullable=False),
    UniqueConstraint("workspace_id", "request_id"),
    # Linking an identity re-keys a person's rows; without this it would scan the table.
    Index("ix_prompt_answers_workspace_id_user_id", "workspace_id", "user_id"),
    # The report's choice counts of the open day (migration 0009; closed days are rolled up).
    Index("ix_prompt_answers_workspace_id_created_at", "workspace_id", "created_at"),
)

saved_answers = Table(
    "saved_answers",
    metadata,
    Column(
        "workspace_id",
        Integer,
        ForeignKey("workspaces.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column("user_id", String(ID_LEN), primary_key=True),
    Column("experience_key", String(64), primary_key=True),
    Column("question", String(16), primary_key=True),  # "prompt" | "followup"
    Column("choice_id", String(64), nullable=True),
    Column("text", Text, nullable=True),
    Column("request_id", String(ID_LEN), nullable=False),
    Column("updated_at", Double, nullable=False),
)

# Attribution looks for a person's results shortly before a conversion.
Index(
    "ix_served_workspace_id_user_id_created_at",
    served.c.workspace_id,
    served.c.user_id,
    served.c.created_at,
)

# Every one of these names a person: export and erasure cover them.
register_person_table(identities)
register_person_table(prompt_answers)
register_person_table(saved_answers)
