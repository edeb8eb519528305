"""Documents: files, their passages, vectors and keyword indexes, knowledge bases."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
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
