"""profile pictures: the avatars table and users.avatar_at

Revision ID: 0008
Revises: 0007
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import confide.db.types

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

ID = sa.String(length=32)


def upgrade() -> None:
    with op.batch_alter_table("users") as batch_op:
        batch_op.add_column(sa.Column("avatar_at", confide.db.types.UTCDateTime(), nullable=True))
    op.create_table(
        "avatars",
        sa.Column("user_id", ID, nullable=False),
        sa.Column("content_type", sa.String(length=32), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.Column("updated_at", confide.db.types.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_avatars_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("user_id", name=op.f("pk_avatars")),
    )


def downgrade() -> None:
    op.drop_table("avatars")
    with op.batch_alter_table("users") as batch_op:
        batch_op.drop_column("avatar_at")
