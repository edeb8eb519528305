"""history: folders, tags, chats in folders

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import confide.db.types

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

ID = sa.String(length=32)


def upgrade() -> None:
    op.create_table(
        "folders",
        sa.Column("id", ID, nullable=False),
        sa.Column("user_id", ID, nullable=False),
        sa.Column("parent_id", ID, nullable=True),
        sa.Column("name", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", confide.db.types.UTCDateTime(), nullable=False),
        sa.Column("updated_at", confide.db.types.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["parent_id"],
            ["folders.id"],
            name=op.f("fk_folders_parent_id_folders"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_folders_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_folders")),
    )
    op.create_index(op.f("ix_folders_user_id"), "folders", ["user_id"], unique=False)
    op.create_index(op.f("ix_folders_parent_id"), "folders", ["parent_id"], unique=False)
    op.create_table(
        "tags",
        sa.Column("id", ID, nullable=False),
        sa.Column("user_id", ID, nullable=False),
        sa.Column("blind", sa.BigInteger(), nullable=False),
        sa.Column("name", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", confide.db.types.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_tags_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tags")),
        sa.UniqueConstraint("user_id", "blind", name=op.f("uq_tags_user_id_blind")),
    )
    op.create_table(
        "chat_tags",
        sa.Column("chat_id", ID, nullable=False),
        sa.Column("tag_id", ID, nullable=False),
        sa.ForeignKeyConstraint(
            ["chat_id"], ["chats.id"], name=op.f("fk_chat_tags_chat_id_chats"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["tag_id"], ["tags.id"], name=op.f("fk_chat_tags_tag_id_tags"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("chat_id", "tag_id", name=op.f("pk_chat_tags")),
    )
    op.create_index(op.f("ix_chat_tags_tag_id"), "chat_tags", ["tag_id"], unique=False)
    with op.batch_alter_table("chats") as batch_op:
        batch_op.add_column(sa.Column("folder_id", ID, nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_chats_folder_id_folders"),
            "folders",
            ["folder_id"],
            ["id"],
            ondelete="SET NULL",
        )
        batch_op.create_index(
            "ix_chats_folder_id_updated_at", ["folder_id", "updated_at"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("chats") as batch_op:
        batch_op.drop_index("ix_chats_folder_id_updated_at")
        batch_op.drop_constraint(batch_op.f("fk_chats_folder_id_folders"), type_="foreignkey")
        batch_op.drop_column("folder_id")
    op.drop_table("chat_tags")
    op.drop_table("tags")
    op.drop_table("folders")
