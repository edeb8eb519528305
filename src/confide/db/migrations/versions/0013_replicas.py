"""replicas: the running processes and the replies each is generating, so a reply whose
replica died is marked interrupted by another; title_jobs: chat titles still to write, leased

Revision ID: 0013
Revises: 0012
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from confide.db.types import UTCDateTime

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "replicas",
        sa.Column("id", sa.String(length=16), nullable=False),
        sa.Column("seen_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_replicas")),
    )
    with op.batch_alter_table("messages") as batch:
        batch.add_column(sa.Column("replica", sa.String(length=16), nullable=True))
    op.create_table(
        "title_jobs",
        sa.Column("chat_id", sa.String(length=32), nullable=False),
        sa.Column("model", sa.String(length=200), nullable=False),
        sa.Column("claimed_at", UTCDateTime(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["chat_id"],
            ["chats.id"],
            name=op.f("fk_title_jobs_chat_id_chats"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("chat_id", name=op.f("pk_title_jobs")),
    )


def downgrade() -> None:
    op.drop_table("title_jobs")
    with op.batch_alter_table("messages") as batch:
        batch.drop_column("replica")
    op.drop_table("replicas")
