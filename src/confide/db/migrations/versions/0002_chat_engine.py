"""chat engine: connections, presets, usage, message status

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import confide.db.types

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "connections",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("base_url", sa.String(length=500), nullable=False),
        sa.Column("api_key", sa.LargeBinary(), nullable=True),
        sa.Column("model_prefix", sa.String(length=32), nullable=True),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("model_allowlist", sa.JSON(), nullable=False),
        sa.Column("connect_timeout", sa.Float(), nullable=False),
        sa.Column("read_timeout", sa.Float(), nullable=False),
        sa.Column("created_at", confide.db.types.UTCDateTime(), nullable=False),
        sa.Column("updated_at", confide.db.types.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_connections")),
        sa.UniqueConstraint("model_prefix", name=op.f("uq_connections_model_prefix")),
    )
    op.create_table(
        "system_keys",
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("kek_id", sa.String(length=32), nullable=False),
        sa.Column("wrapped_dek", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", confide.db.types.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_system_keys")),
    )
    op.create_table(
        "model_presets",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("owner_id", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("base_model", sa.String(length=200), nullable=False),
        sa.Column("system_prompt", sa.LargeBinary(), nullable=True),
        sa.Column("params", sa.JSON(), nullable=False),
        sa.Column("description", sa.String(length=1000), nullable=False),
        sa.Column("visibility", sa.String(length=16), nullable=False),
        sa.Column("created_at", confide.db.types.UTCDateTime(), nullable=False),
        sa.Column("updated_at", confide.db.types.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["owner_id"],
            ["users.id"],
            name=op.f("fk_model_presets_owner_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_model_presets")),
    )
    with op.batch_alter_table("model_presets", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_model_presets_owner_id"), ["owner_id"], unique=False)

    op.create_table(
        "usage_daily",
        sa.Column("user_id", sa.String(length=32), nullable=False),
        sa.Column("api_key_id", sa.String(length=32), nullable=False),
        sa.Column("model", sa.String(length=200), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("requests", sa.Integer(), nullable=False),
        sa.Column("prompt_tokens", sa.BigInteger(), nullable=False),
        sa.Column("completion_tokens", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_usage_daily_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint(
            "user_id", "api_key_id", "model", "day", name=op.f("pk_usage_daily")
        ),
    )
    op.create_table(
        "preset_groups",
        sa.Column("preset_id", sa.String(length=32), nullable=False),
        sa.Column("group_id", sa.String(length=32), nullable=False),
        sa.ForeignKeyConstraint(
            ["group_id"],
            ["groups.id"],
            name=op.f("fk_preset_groups_group_id_groups"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["preset_id"],
            ["model_presets.id"],
            name=op.f("fk_preset_groups_preset_id_model_presets"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("preset_id", "group_id", name=op.f("pk_preset_groups")),
    )
    with op.batch_alter_table("preset_groups", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_preset_groups_group_id"), ["group_id"], unique=False)

    with op.batch_alter_table("messages", schema=None) as batch_op:
        batch_op.add_column(sa.Column("finish_reason", sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column("error", sa.String(length=500), nullable=True))
        batch_op.add_column(
            sa.Column(
                "updated_at",
                confide.db.types.UTCDateTime(),
                nullable=False,
                server_default=sa.text("CURRENT_TIMESTAMP"),
            )
        )
        batch_op.create_index(batch_op.f("ix_messages_status"), ["status"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("messages", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_messages_status"))
        batch_op.drop_column("updated_at")
        batch_op.drop_column("error")
        batch_op.drop_column("finish_reason")

    with op.batch_alter_table("preset_groups", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_preset_groups_group_id"))

    op.drop_table("preset_groups")
    op.drop_table("usage_daily")
    with op.batch_alter_table("model_presets", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_model_presets_owner_id"))

    op.drop_table("model_presets")
    op.drop_table("system_keys")
    op.drop_table("connections")
