"""files: uploaded files (sealed, in the blob store), their chunks and sealed vector blocks

Revision ID: 0009
Revises: 0008
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import confide.db.types

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

ID = sa.String(length=32)
WAITING = "status IN ('pending', 'processing')"


def upgrade() -> None:
    _create_files()
    op.create_table(
        "chunks",
        sa.Column("file_id", ID, nullable=False),
        sa.Column("ordinal", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("tokens", sa.Integer(), nullable=False),
        sa.Column("body", sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(
            ["file_id"], ["files.id"], name=op.f("fk_chunks_file_id_files"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("file_id", "ordinal", name=op.f("pk_chunks")),
    )
    op.create_table(
        "chunk_vectors",
        sa.Column("file_id", ID, nullable=False),
        sa.Column("block", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("embedder", sa.String(length=200), nullable=False),
        sa.Column("vectors", sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(
            ["file_id"],
            ["files.id"],
            name=op.f("fk_chunk_vectors_file_id_files"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("file_id", "block", name=op.f("pk_chunk_vectors")),
    )


def _create_files() -> None:
    op.create_table(
        "files",
        sa.Column("id", ID, nullable=False),
        sa.Column("user_id", ID, nullable=False),
        sa.Column("name", sa.LargeBinary(), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("blob", sa.String(length=32), nullable=False),
        sa.Column("content_type", sa.String(length=100), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("progress", sa.Integer(), nullable=False),
        sa.Column("error", sa.LargeBinary(), nullable=True),
        sa.Column("chunk_count", sa.Integer(), nullable=False),
        sa.Column("embedder", sa.String(length=200), nullable=True),
        sa.Column("claimed_at", confide.db.types.UTCDateTime(), nullable=True),
        sa.Column("created_at", confide.db.types.UTCDateTime(), nullable=False),
        sa.Column("updated_at", confide.db.types.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_files_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_files")),
        sa.UniqueConstraint("blob", name=op.f("uq_files_blob")),
    )
    op.create_index("ix_files_user_id_created_at", "files", ["user_id", "created_at"])
    op.create_index(
        "ix_files_waiting",
        "files",
        ["status"],
        sqlite_where=sa.text(WAITING),
        postgresql_where=sa.text(WAITING),
    )


def downgrade() -> None:
    op.drop_table("chunk_vectors")
    op.drop_table("chunks")
    op.drop_index("ix_files_waiting", table_name="files")
    op.drop_index("ix_files_user_id_created_at", table_name="files")
    op.drop_table("files")
