"""SQLAlchemy tables. Content columns (titles, message text) hold sealed bytes, never text.

One module per area: accounts, chats (with their search index), documents (files, passages,
knowledge bases) and the instance (keys, connections, presets, usage, settings, audit); every
table is importable from here. Change a table in its module, then add an Alembic migration
(`db/migrations/versions`); a test checks that the migrations build exactly these tables.
"""

from confide.db.tables.accounts import (
    ApiKey,
    Avatar,
    Group,
    GroupMember,
    Session,
    TwoFactor,
    User,
    UserKey,
)
from confide.db.tables.base import ID, NAMING, Base
from confide.db.tables.chats import (
    Chat,
    ChatTag,
    Folder,
    Message,
    Replica,
    SearchBlock,
    SearchDoc,
    SearchFresh,
    Share,
    Tag,
    TitleJob,
)
from confide.db.tables.documents import (
    Chunk,
    ChunkKeywords,
    ChunkVectors,
    File,
    KnowledgeBase,
    KnowledgeFile,
    KnowledgeGrant,
)
from confide.db.tables.instance import (
    AuditEvent,
    Connection,
    InstanceSetting,
    ModelPreset,
    PresetGroup,
    PresetKnowledge,
    SystemKey,
    UsageDaily,
)

__all__ = [
    "ID",
    "NAMING",
    "ApiKey",
    "AuditEvent",
    "Avatar",
    "Base",
    "Chat",
    "ChatTag",
    "Chunk",
    "ChunkKeywords",
    "ChunkVectors",
    "Connection",
    "File",
    "Folder",
    "Group",
    "GroupMember",
    "InstanceSetting",
    "KnowledgeBase",
    "KnowledgeFile",
    "KnowledgeGrant",
    "Message",
    "ModelPreset",
    "PresetGroup",
    "PresetKnowledge",
    "Replica",
    "SearchBlock",
    "SearchDoc",
    "SearchFresh",
    "Session",
    "Share",
    "SystemKey",
    "Tag",
    "TitleJob",
    "TwoFactor",
    "UsageDaily",
    "User",
    "UserKey",
]
