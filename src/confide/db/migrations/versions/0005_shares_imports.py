"""shares and imports: snapshot links (shares), chats.import_key for idempotent imports

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import confide.db.types

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

ID = sa.String(length=32)


def upgrade() -> None:
    op.create_table(
        "shares",
        sa.Column("id", ID, nullable=False),
        sa.Column("chat_id", ID, nullable=False),
        sa.Column("user_id", ID, nullable=False),
        sa.Column("lookup", sa.LargeBinary(length=32), nullable=False),
        sa.Column("public", sa.Boolean(), nullable=False),
        sa.Column("snapshot", sa.LargeBinary(), nullable=False),
        sa.Column("link", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", confide.db.types.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["chat_id"], ["chats.id"], name=op.f("fk_shares_chat_id_chats"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_shares_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_shares")),
        sa.UniqueConstraint("lookup", name=op.f("uq_shares_lookup")),
    )
    op.create_index(op.f("ix_shares_chat_id"), "shares", ["chat_id"], unique=False)
    op.create_index(
        "ix_shares_user_id_created_at", "shares", ["user_id", "created_at"], unique=False
    )
    with op.batch_alter_table("chats") as batch_op:
        batch_op.add_column(sa.Column("import_key", sa.BigInteger(), nullable=True))
        batch_op.create_unique_constraint(
            batch_op.f("uq_chats_user_id_import_key"), ["user_id", "import_key"]
        )


def downgrade() -> None:
    with op.batch_alter_table("chats") as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_chats_user_id_import_key"), type_="unique")
        batch_op.drop_column("import_key")
    op.drop_index("ix_shares_user_id_created_at", table_name="shares")
    op.drop_index(op.f("ix_shares_chat_id"), table_name="shares")
    op.drop_table("shares")
