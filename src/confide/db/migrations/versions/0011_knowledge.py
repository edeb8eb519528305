"""knowledge: knowledge bases (sealed name and description), their files, and their grants

Revision ID: 0011
Revises: 0010
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import confide.db.types

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

ID = sa.String(length=32)


def upgrade() -> None:
    _create_knowledge_bases()
    _create_knowledge_files()
    _create_knowledge_grants()


def _create_knowledge_bases() -> None:
    op.create_table(
        "knowledge_bases",
        sa.Column("id", ID, nullable=False),
        sa.Column("user_id", ID, nullable=False),
        sa.Column("name", sa.LargeBinary(), nullable=False),
        sa.Column("description", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", confide.db.types.UTCDateTime(), nullable=False),
        sa.Column("updated_at", confide.db.types.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_knowledge_bases_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_knowledge_bases")),
    )
    op.create_index(op.f("ix_knowledge_bases_user_id"), "knowledge_bases", ["user_id"])


def _create_knowledge_files() -> None:
    op.create_table(
        "knowledge_files",
        sa.Column("knowledge_id", ID, nullable=False),
        sa.Column("file_id", ID, nullable=False),
        sa.Column("added_at", confide.db.types.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["file_id"],
            ["files.id"],
            name=op.f("fk_knowledge_files_file_id_files"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["knowledge_id"],
            ["knowledge_bases.id"],
            name=op.f("fk_knowledge_files_knowledge_id_knowledge_bases"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("knowledge_id", "file_id", name=op.f("pk_knowledge_files")),
    )
    op.create_index(op.f("ix_knowledge_files_file_id"), "knowledge_files", ["file_id"])


def _create_knowledge_grants() -> None:
    op.create_table(
        "knowledge_grants",
        sa.Column("id", ID, nullable=False),
        sa.Column("knowledge_id", ID, nullable=False),
        sa.Column("user_id", ID, nullable=True),
        sa.Column("group_id", ID, nullable=True),
        sa.Column("permission", sa.String(length=8), nullable=False),
        sa.Column("created_at", confide.db.types.UTCDateTime(), nullable=False),
        sa.CheckConstraint(
            "(user_id IS NULL) <> (group_id IS NULL)",
            name=op.f("ck_knowledge_grants_one_grantee"),
        ),
        sa.CheckConstraint(
            "permission IN ('read', 'write')", name=op.f("ck_knowledge_grants_permission")
        ),
        sa.ForeignKeyConstraint(
            ["group_id"],
            ["groups.id"],
            name=op.f("fk_knowledge_grants_group_id_groups"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["knowledge_id"],
            ["knowledge_bases.id"],
            name=op.f("fk_knowledge_grants_knowledge_id_knowledge_bases"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_knowledge_grants_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_knowledge_grants")),
        sa.UniqueConstraint(
            "knowledge_id", "group_id", name=op.f("uq_knowledge_grants_knowledge_id_group_id")
        ),
        sa.UniqueConstraint(
            "knowledge_id", "user_id", name=op.f("uq_knowledge_grants_knowledge_id_user_id")
        ),
    )
    op.create_index(op.f("ix_knowledge_grants_group_id"), "knowledge_grants", ["group_id"])
    op.create_index(op.f("ix_knowledge_grants_user_id"), "knowledge_grants", ["user_id"])


def downgrade() -> None:
    op.drop_table("knowledge_grants")
    op.drop_table("knowledge_files")
    op.drop_table("knowledge_bases")
