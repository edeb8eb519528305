"""SQLAlchemy tables. Content columns (titles, message text) hold sealed bytes, never text.

Change a table here, then add an Alembic migration (`db/migrations/versions`); a test checks
that the migrations build exactly these tables.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    UniqueConstraint,
    false,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from confide.db.types import UTCDateTime, utcnow

ID = String(32)
NAMING = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map = {datetime: UTCDateTime(), dict[str, Any]: JSON()}  # noqa: RUF012


class User(Base):
    __tablename__ = "users"

    id: Mapped[str] = mapped_column(ID, primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    role: Mapped[str] = mapped_column(String(16), index=True)
    disabled: Mapped[bool] = mapped_column(Boolean, default=False)
    password_hash: Mapped[str] = mapped_column(String(255))
    password_changed_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Signing in takes a code from an authenticator app too (the secret is in two_factor).
    two_factor: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    # When the profile picture was last set (the picture is in `avatars`); null: none.
    avatar_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class TwoFactor(Base):
    """A user's authenticator (TOTP) enrolment. `secret` is sealed with their data key;
    `recovery` holds SHA-256 hashes of the unused recovery codes, never the codes."""

    __tablename__ = "two_factor"

    user_id: Mapped[str] = mapped_column(
        ID, ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    secret: Mapped[bytes] = mapped_column(LargeBinary)
    confirmed_at: Mapped[datetime | None]
    last_step: Mapped[int] = mapped_column(BigInteger, default=0)  # no code is accepted twice
    recovery: Mapped[list[str]] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Avatar(Base):
    """A user's profile picture: PNG, JPEG or WebP, checked on upload (security/images.py).
    Not sealed: like a name, other members of the instance see it. Kept out of `users`, which
    every request loads."""

    __tablename__ = "avatars"

    user_id: Mapped[str] = mapped_column(
        ID, ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    content_type: Mapped[str] = mapped_column(String(32))
    data: Mapped[bytes] = mapped_column(LargeBinary)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class UserKey(Base):
    """A user's data key (DEK), wrapped by the master key; deleting it shreds their data."""

    __tablename__ = "user_keys"

    user_id: Mapped[str] = mapped_column(
        ID, ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    kek_id: Mapped[str] = mapped_column(String(32))
    wrapped_dek: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Session(Base):
    """A browser session. Only the SHA-256 of the cookie token is stored."""

    __tablename__ = "sessions"

    id: Mapped[str] = mapped_column(ID, primary_key=True)
    user_id: Mapped[str] = mapped_column(ID, ForeignKey("users.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    ip: Mapped[str | None] = mapped_column(String(45))
    user_agent: Mapped[str | None] = mapped_column(String(255))


class ApiKey(Base):
    """An API key. Only its SHA-256 is stored; `prefix` lets a user recognise it."""

    __tablename__ = "api_keys"

    id: Mapped[str] = mapped_column(ID, primary_key=True)
    user_id: Mapped[str] = mapped_column(ID, ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    prefix: Mapped[str] = mapped_column(String(16))
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_used_at: Mapped[datetime | None]
    expires_at: Mapped[datetime | None]


class Group(Base):
    __tablename__ = "groups"

    id: Mapped[str] = mapped_column(ID, primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    description: Mapped[str] = mapped_column(String(500), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class GroupMember(Base):
    __tablename__ = "group_members"

    group_id: Mapped[str] = mapped_column(
        ID, ForeignKey("groups.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[str] = mapped_column(
        ID, ForeignKey("users.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    added_at: Mapped[datetime] = mapped_column(default=utcnow)


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
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(
        default=utcnow, onupdate=utcnow, server_default=text("CURRENT_TIMESTAMP")
    )


class File(Base):
    """An uploaded file. Its bytes live in the blob store under `blob` (random, never the user's
    file name), sealed segment by segment with the owner's data key (security/sealed_stream.py);
    `name` and `error` are sealed too. `content_type` and `kind` come from the bytes, read when
    the file is ingested. The rows whose `status` is `pending` are the ingestion queue."""

    __tablename__ = "files"
    __table_args__ = (
        Index("ix_files_user_id_created_at", "user_id", "created_at"),
        Index(
            "ix_files_waiting",
            "status",
            sqlite_where=text("status IN ('pending', 'processing')"),
            postgresql_where=text("status IN ('pending', 'processing')"),
        ),
    )

    id: Mapped[str] = mapped_column(ID, primary_key=True)
    user_id: Mapped[str] = mapped_column(ID, ForeignKey("users.id", ondelete="CASCADE"))
    name: Mapped[bytes] = mapped_column(LargeBinary)
    size: Mapped[int] = mapped_column(BigInteger)
    blob: Mapped[str] = mapped_column(String(32), unique=True)
    content_type: Mapped[str] = mapped_column(String(100), default="application/octet-stream")
    kind: Mapped[str | None] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16), default="pending")
    progress: Mapped[int] = mapped_column(Integer, default=0)
    error: Mapped[bytes | None] = mapped_column(LargeBinary)
    chunk_count: Mapped[int] = mapped_column(Integer, default=0)
    embedder: Mapped[str | None] = mapped_column(String(200))
    claimed_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class Chunk(Base):
    """A passage of a file, as retrieval returns it. `body` is sealed: the passage's text with
    the headings it sits under and where it is in the file (page, slide, row)."""

    __tablename__ = "chunks"

    file_id: Mapped[str] = mapped_column(
        ID, ForeignKey("files.id", ondelete="CASCADE"), primary_key=True
    )
    ordinal: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    tokens: Mapped[int] = mapped_column(Integer)
    body: Mapped[bytes] = mapped_column(LargeBinary)


class ChunkVectors(Base):
    """The embeddings of up to VECTOR_BLOCK of a file's chunks (ordinals `block * VECTOR_BLOCK`
    onwards), as one sealed float16 matrix: vectors say much about the text they came from
    (they can be inverted), so they are sealed like it and searched in memory after opening."""

    __tablename__ = "chunk_vectors"

    file_id: Mapped[str] = mapped_column(
        ID, ForeignKey("files.id", ondelete="CASCADE"), primary_key=True
    )
    block: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    embedder: Mapped[str] = mapped_column(String(200))
    vectors: Mapped[bytes] = mapped_column(LargeBinary)


class ChunkKeywords(Base):
    """A file's keyword index (rag/keywords.py): for each blind hash of a term, which of its
    chunks hold it and how often, with each chunk's length. Sealed as a whole, so the database
    holds neither the terms nor which files share one."""

    __tablename__ = "chunk_keywords"

    file_id: Mapped[str] = mapped_column(
        ID, ForeignKey("files.id", ondelete="CASCADE"), primary_key=True
    )
    body: Mapped[bytes] = mapped_column(LargeBinary)


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


class KnowledgeBase(Base):
    """A named collection of files for retrieval. `name` and `description` are sealed with the
    owner's data key; its files may be the owner's or those of users it is shared with for
    writing (`knowledge_files`), and who else may use it is in `knowledge_grants`."""

    __tablename__ = "knowledge_bases"

    id: Mapped[str] = mapped_column(ID, primary_key=True)
    user_id: Mapped[str] = mapped_column(ID, ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name: Mapped[bytes] = mapped_column(LargeBinary)
    description: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class KnowledgeFile(Base):
    """A file in a knowledge base (the file stays its uploader's: it is never copied)."""

    __tablename__ = "knowledge_files"

    knowledge_id: Mapped[str] = mapped_column(
        ID, ForeignKey("knowledge_bases.id", ondelete="CASCADE"), primary_key=True
    )
    file_id: Mapped[str] = mapped_column(
        ID, ForeignKey("files.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    added_at: Mapped[datetime] = mapped_column(default=utcnow)


class KnowledgeGrant(Base):
    """Who besides its owner may use a knowledge base: one user or one group (exactly one of
    `user_id`, `group_id`), to `read` it or also to `write` (add and remove their own files,
    rename it)."""

    __tablename__ = "knowledge_grants"
    __table_args__ = (
        UniqueConstraint("knowledge_id", "user_id"),
        UniqueConstraint("knowledge_id", "group_id"),
        CheckConstraint("(user_id IS NULL) <> (group_id IS NULL)", name="one_grantee"),
        CheckConstraint("permission IN ('read', 'write')", name="permission"),
    )

    id: Mapped[str] = mapped_column(ID, primary_key=True)
    knowledge_id: Mapped[str] = mapped_column(
        ID, ForeignKey("knowledge_bases.id", ondelete="CASCADE")
    )
    user_id: Mapped[str | None] = mapped_column(
        ID, ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    group_id: Mapped[str | None] = mapped_column(
        ID, ForeignKey("groups.id", ondelete="CASCADE"), index=True
    )
    permission: Mapped[str] = mapped_column(String(8))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
