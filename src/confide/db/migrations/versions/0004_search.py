"""search: the blind index over chats (search_docs, search_terms)

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "search_docs",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("chat_id", sa.String(length=32), nullable=False),
        sa.ForeignKeyConstraint(
            ["chat_id"], ["chats.id"], name=op.f("fk_search_docs_chat_id_chats"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_search_docs")),
        sa.UniqueConstraint("chat_id", name=op.f("uq_search_docs_chat_id")),
        sqlite_autoincrement=True,
    )
    op.create_table(
        "search_terms",
        sa.Column("term", sa.BigInteger(), nullable=False),
        sa.Column("doc", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["doc"],
            ["search_docs.id"],
            name=op.f("fk_search_terms_doc_search_docs"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("term", "doc", name=op.f("pk_search_terms")),
        sqlite_with_rowid=False,
    )
    op.create_index("ix_search_terms_doc", "search_terms", ["doc"], unique=False)


def downgrade() -> None:
    op.drop_table("search_terms")
    op.drop_table("search_docs")
