"""Chats: folders, tags, shares, messages and the blind search index."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from confide.db.tables.base import ID, Base
from confide.db.types import utcnow


class Folder(Base):
    """A user's folder of chats; folders nest (`parent_id`). `name` is sealed."""

    __tablename__ = "folders"

    id: Mapped[str] = mapped_column(ID, primary_key=True)
    user_id: Mapped[str] = mapped_column(ID, ForeignKey("users.id", ondelete="CASCADE"), index=True)
    parent_id: Mapped[str | None] = mapped_column(
        ID, ForeignKey("folders.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class Tag(Base):
    """A user's tag. `name` is sealed; `blind` (keyed HMAC of the normalized name) finds it."""

    __tablename__ = "tags"
    __table_args__ = (UniqueConstraint("user_id", "blind"),)

    id: Mapped[str] = mapped_column(ID, primary_key=True)
    user_id: Mapped[str] = mapped_column(ID, ForeignKey("users.id", ondelete="CASCADE"))
    blind: Mapped[int] = mapped_column(BigInteger)
    name: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Chat(Base):
    """A conversation. `title` is sealed with the owner's data key."""

    __tablename__ = "chats"
    __table_args__ = (
        Index("ix_chats_user_id_updated_at", "user_id", "updated_at"),
        Index("ix_chats_folder_id_updated_at", "folder_id", "updated_at"),
        UniqueConstraint("user_id", "import_key"),
    )

    id: Mapped[str] = mapped_column(ID, primary_key=True)
    user_id: Mapped[str] = mapped_column(ID, ForeignKey("users.id", ondelete="CASCADE"))
    folder_id: Mapped[str | None] = mapped_column(ID, ForeignKey("folders.id", ondelete="SET NULL"))
    title: Mapped[bytes] = mapped_column(LargeBinary)
    current_leaf_id: Mapped[str | None] = mapped_column(ID)
    pinned: Mapped[bool] = mapped_column(Boolean, default=False)
    archived: Mapped[bool] = mapped_column(Boolean, default=False)
    # Keyed HMAC of where an imported chat came from (format + its id there): importing
    # the same file twice finds it instead of writing a duplicate. None for chats made here.
    import_key: Mapped[int | None] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class Share(Base):
    """A read-only snapshot of a chat behind a link. `snapshot` is sealed with a key derived
    from the link's secret, which the server keeps only as `lookup` (its SHA-256) and as
    `link` (sealed with the owner's data key, so the owner can list it again)."""

    __tablename__ = "shares"
    __table_args__ = (Index("ix_shares_user_id_created_at", "user_id", "created_at"),)

    id: Mapped[str] = mapped_column(ID, primary_key=True)
    chat_id: Mapped[str] = mapped_column(ID, ForeignKey("chats.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[str] = mapped_column(ID, ForeignKey("users.id", ondelete="CASCADE"))
    lookup: Mapped[bytes] = mapped_column(LargeBinary(32), unique=True)
    public: Mapped[bool] = mapped_column(Boolean)
    snapshot: Mapped[bytes] = mapped_column(LargeBinary)
    link: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class ChatTag(Base):
    __tablename__ = "chat_tags"

    chat_id: Mapped[str] = mapped_column(
        ID, ForeignKey("chats.id", ondelete="CASCADE"), primary_key=True
    )
    tag_id: Mapped[str] = mapped_column(
        ID, ForeignKey("tags.id", ondelete="CASCADE"), primary_key=True, index=True
    )


class Message(Base):
    """One message in a chat's tree; branches are siblings under one parent. Content is sealed."""

    __tablename__ = "messages"
    __table_args__ = (  # only "find the streaming ones" asks by status: index only those
        Index(
            "ix_messages_streaming",
            "status",
            sqlite_where=text("status = 'streaming'"),
            postgresql_where=text("status = 'streaming'"),
        ),
    )

    id: Mapped[str] = mapped_column(ID, primary_key=True)
    chat_id: Mapped[str] = mapped_column(ID, ForeignKey("chats.id", ondelete="CASCADE"), index=True)
    parent_id: Mapped[str | None] = mapped_column(
        ID, ForeignKey("messages.id", ondelete="CASCADE"), index=True
    )
    role: Mapped[str] = mapped_column(String(16))
    content: Mapped[bytes] = mapped_column(LargeBinary)
    model: Mapped[str | None] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(16), default="complete")
    finish_reason: Mapped[str | None] = mapped_column(String(32))
    error: Mapped[str | None] = mapped_column(String(500))
    usage: Mapped[dict[str, Any] | None]
    # Sealed JSON: on a user message, the files and knowledge bases attached to it (with
    # their names as they were); on a reply, the passages it was given to cite.
    attachments: Mapped[bytes | None] = mapped_column(LargeBinary)
    sources: Mapped[bytes | None] = mapped_column(LargeBinary)
    # While `streaming`: the replica generating it. When that replica stops being seen (see
    # `Replica`), another marks the reply `interrupted`, keeping its text.
    replica: Mapped[str | None] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(
        default=utcnow, onupdate=utcnow, server_default=text("CURRENT_TIMESTAMP")
    )


class Replica(Base):
    """A running `confide serve` process, seen a moment ago (it renews `seen_at` every few
    seconds). Replies of a replica no longer seen are interrupted by the others."""

    __tablename__ = "replicas"

    id: Mapped[str] = mapped_column(String(16), primary_key=True)
    seen_at: Mapped[datetime] = mapped_column(default=utcnow)


class TitleJob(Base):
    """A chat title still to write, after the chat's first reply. The replica that wrote the
    reply claims it at once and removes it when done; a claim older than the job lease means
    that replica died, and another one takes the job over."""

    __tablename__ = "title_jobs"

    chat_id: Mapped[str] = mapped_column(
        ID, ForeignKey("chats.id", ondelete="CASCADE"), primary_key=True
    )
    model: Mapped[str] = mapped_column(String(200))  # the public id of the model that answered
    claimed_at: Mapped[datetime] = mapped_column(default=utcnow)
    attempts: Mapped[int] = mapped_column(default=1)


class SearchDoc(Base):
    """A chat as the search index knows it: a small integer id for its postings."""

    __tablename__ = "search_docs"
    __table_args__ = {"sqlite_autoincrement": True}  # noqa: RUF012 -- ids never reused

    id: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True
    )
    chat_id: Mapped[str] = mapped_column(
        ID, ForeignKey("chats.id", ondelete="CASCADE"), unique=True
    )
    user_id: Mapped[str] = mapped_column(ID, ForeignKey("users.id", ondelete="CASCADE"), index=True)


class SearchFresh(Base):
    """A posting of the blind index not yet merged into blocks: a 32-bit keyed hash of a term
    (or a term's prefix) that occurs in a doc. Never the term itself."""

    __tablename__ = "search_fresh"
    __table_args__ = {"sqlite_with_rowid": False}  # noqa: RUF012

    term: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    doc: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)


class SearchBlock(Base):
    """Up to 4,096 doc ids holding one term hash of one user, compressed
    (store/postings.py); `block` is the first of them, `n` how many."""

    __tablename__ = "search_blocks"
    __table_args__ = {"sqlite_with_rowid": False}  # noqa: RUF012

    user_id: Mapped[str] = mapped_column(
        ID, ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    term: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    block: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    n: Mapped[int] = mapped_column(Integer)
    docs: Mapped[bytes] = mapped_column(LargeBinary)
