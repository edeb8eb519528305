"""two-factor authentication: users.two_factor and the two_factor table (TOTP enrolments)

Revision ID: 0007
Revises: 0006
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import confide.db.types

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

ID = sa.String(length=32)


def upgrade() -> None:
    with op.batch_alter_table("users") as batch_op:
        batch_op.add_column(
            sa.Column("two_factor", sa.Boolean(), server_default=sa.false(), nullable=False)
        )
    op.create_table(
        "two_factor",
        sa.Column("user_id", ID, nullable=False),
        sa.Column("secret", sa.LargeBinary(), nullable=False),
        sa.Column("confirmed_at", confide.db.types.UTCDateTime(), nullable=True),
        sa.Column("last_step", sa.BigInteger(), nullable=False),
        sa.Column("recovery", sa.JSON(), nullable=False),
        sa.Column("created_at", confide.db.types.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_two_factor_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("user_id", name=op.f("pk_two_factor")),
    )


def downgrade() -> None:
    op.drop_table("two_factor")
    with op.batch_alter_table("users") as batch_op:
        batch_op.drop_column("two_factor")
