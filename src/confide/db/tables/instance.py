"""The instance: system keys, connections, presets, usage, settings and the audit log."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    Float,
    ForeignKey,
    Integer,
    LargeBinary,
    String,
)
from sqlalchemy.orm import Mapped, mapped_column

from confide.db.tables.base import ID, Base
from confide.db.types import utcnow


class SystemKey(Base):
    """A data key that belongs to the instance, not a user (it seals connection API keys)."""

    __tablename__ = "system_keys"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    kek_id: Mapped[str] = mapped_column(String(32))
    wrapped_dek: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Connection(Base):
    """An admin-configured model backend. Its API key is sealed with the instance data key."""

    __tablename__ = "connections"

    id: Mapped[str] = mapped_column(ID, primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    name: Mapped[str] = mapped_column(String(100))
    base_url: Mapped[str] = mapped_column(String(500))
    api_key: Mapped[bytes | None] = mapped_column(LargeBinary)
    model_prefix: Mapped[str | None] = mapped_column(String(32), unique=True)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    model_allowlist: Mapped[list[str]] = mapped_column(JSON, default=list)
    connect_timeout: Mapped[float] = mapped_column(Float, default=5.0)
    read_timeout: Mapped[float] = mapped_column(Float, default=120.0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class ModelPreset(Base):
    """A named model with a system prompt (sealed with the owner's key) and parameters."""

    __tablename__ = "model_presets"

    id: Mapped[str] = mapped_column(ID, primary_key=True)
    owner_id: Mapped[str] = mapped_column(
        ID, ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(100))
    base_model: Mapped[str] = mapped_column(String(200))
    system_prompt: Mapped[bytes | None] = mapped_column(LargeBinary)
    params: Mapped[dict[str, Any]]
    description: Mapped[str] = mapped_column(String(1000), default="")
    visibility: Mapped[str] = mapped_column(String(16), default="private")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class PresetKnowledge(Base):
    """Knowledge bases every chat with a preset retrieves from (for those who may read them)."""

    __tablename__ = "preset_knowledge"

    preset_id: Mapped[str] = mapped_column(
        ID, ForeignKey("model_presets.id", ondelete="CASCADE"), primary_key=True
    )
    knowledge_id: Mapped[str] = mapped_column(
        ID, ForeignKey("knowledge_bases.id", ondelete="CASCADE"), primary_key=True, index=True
    )


class PresetGroup(Base):
    """Groups a preset with visibility `groups` is shared with."""

    __tablename__ = "preset_groups"

    preset_id: Mapped[str] = mapped_column(
        ID, ForeignKey("model_presets.id", ondelete="CASCADE"), primary_key=True
    )
    group_id: Mapped[str] = mapped_column(
        ID, ForeignKey("groups.id", ondelete="CASCADE"), primary_key=True, index=True
    )


class UsageDaily(Base):
    """Tokens used per user, API key (empty: the web app), model and UTC day."""

    __tablename__ = "usage_daily"

    user_id: Mapped[str] = mapped_column(
        ID, ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    api_key_id: Mapped[str] = mapped_column(String(32), primary_key=True, default="")
    model: Mapped[str] = mapped_column(String(200), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    requests: Mapped[int] = mapped_column(Integer, default=0)
    prompt_tokens: Mapped[int] = mapped_column(BigInteger, default=0)
    completion_tokens: Mapped[int] = mapped_column(BigInteger, default=0)


class InstanceSetting(Base):
    """Settings an admin changes at run time. Environment variables beat these."""

    __tablename__ = "settings"

    key: Mapped[str] = mapped_column(String(100), primary_key=True)
    value: Mapped[dict[str, Any]]
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class AuditEvent(Base):
    """Append-only, hash-chained record of who did what. Never content, never secrets."""

    __tablename__ = "audit_events"

    seq: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True
    )
    created_at: Mapped[datetime]
    actor_id: Mapped[str | None] = mapped_column(ID, index=True)
    action: Mapped[str] = mapped_column(String(64), index=True)
    target_type: Mapped[str | None] = mapped_column(String(32))
    target_id: Mapped[str | None] = mapped_column(String(64))
    ip: Mapped[str | None] = mapped_column(String(45))
    detail: Mapped[dict[str, Any]]
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64), unique=True)
