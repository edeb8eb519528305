"""messages: sealed attachments (user messages) and cited sources (replies); presets'
knowledge bases

Revision ID: 0012
Revises: 0011
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("messages") as batch:
        batch.add_column(sa.Column("attachments", sa.LargeBinary(), nullable=True))
        batch.add_column(sa.Column("sources", sa.LargeBinary(), nullable=True))
    op.create_table(
        "preset_knowledge",
        sa.Column("preset_id", sa.String(length=32), nullable=False),
        sa.Column("knowledge_id", sa.String(length=32), nullable=False),
        sa.ForeignKeyConstraint(
            ["knowledge_id"],
            ["knowledge_bases.id"],
            name=op.f("fk_preset_knowledge_knowledge_id_knowledge_bases"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["preset_id"],
            ["model_presets.id"],
            name=op.f("fk_preset_knowledge_preset_id_model_presets"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("preset_id", "knowledge_id", name=op.f("pk_preset_knowledge")),
    )
    op.create_index(op.f("ix_preset_knowledge_knowledge_id"), "preset_knowledge", ["knowledge_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_preset_knowledge_knowledge_id"), table_name="preset_knowledge")
    op.drop_table("preset_knowledge")
    with op.batch_alter_table("messages") as batch:
        batch.drop_column("sources")
        batch.drop_column("attachments")
