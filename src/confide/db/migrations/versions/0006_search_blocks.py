"""search blocks: compressed posting blocks (search_blocks) and recent postings
(search_fresh) replace search_terms; search_docs gains user_id; messages' status index only
covers streaming replies

The old postings are dropped, not converted: every chat is left without a search_docs row,
so the background backfill at the next start indexes it again (search finds nothing in a
chat until it has been re-indexed).

Revision ID: 0006
Revises: 0005
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

ID = sa.String(length=32)
STREAMING = sa.text("status = 'streaming'")


def upgrade() -> None:
    op.drop_index("ix_search_terms_doc", table_name="search_terms")
    op.drop_table("search_terms")
    op.drop_table("search_docs")
    _search_docs(with_user=True)
    op.create_index(op.f("ix_search_docs_user_id"), "search_docs", ["user_id"], unique=False)
    op.create_table(
        "search_fresh",
        sa.Column("term", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("doc", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.PrimaryKeyConstraint("term", "doc", name=op.f("pk_search_fresh")),
        sqlite_with_rowid=False,
    )
    op.create_table(
        "search_blocks",
        sa.Column("user_id", ID, nullable=False),
        sa.Column("term", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("block", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("n", sa.Integer(), nullable=False),
        sa.Column("docs", sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_search_blocks_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("user_id", "term", "block", name=op.f("pk_search_blocks")),
        sqlite_with_rowid=False,
    )
    op.drop_index("ix_messages_status", table_name="messages")
    op.create_index(
        "ix_messages_streaming",
        "messages",
        ["status"],
        unique=False,
        sqlite_where=STREAMING,
        postgresql_where=STREAMING,
    )


def downgrade() -> None:
    op.drop_index("ix_messages_streaming", table_name="messages")
    op.create_index("ix_messages_status", "messages", ["status"], unique=False)
    op.drop_table("search_blocks")
    op.drop_table("search_fresh")
    op.drop_index(op.f("ix_search_docs_user_id"), table_name="search_docs")
    op.drop_table("search_docs")
    _search_docs(with_user=False)
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


def _search_docs(*, with_user: bool) -> None:
    user = [
        sa.Column("user_id", ID, nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_search_docs_user_id_users"), ondelete="CASCADE"
        ),
    ]
    op.create_table(
        "search_docs",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("chat_id", ID, nullable=False),
        *(user if with_user else []),
        sa.ForeignKeyConstraint(
            ["chat_id"], ["chats.id"], name=op.f("fk_search_docs_chat_id_chats"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_search_docs")),
        sa.UniqueConstraint("chat_id", name=op.f("uq_search_docs_chat_id")),
        sqlite_autoincrement=True,
    )
