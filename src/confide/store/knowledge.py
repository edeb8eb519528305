"""Knowledge bases: a user's named collections of files, with the users and groups they are
shared with. Name and description are sealed with the owner's data key.

Who may use a base is asked of the database every time (`readable_to`, `permission`), so a
revoked grant or a group membership ended takes effect at once.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from sqlalchemy import ColumnElement, Select, and_, delete, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from confide.db.ids import new_id
from confide.db.tables import (
    File,
    Group,
    GroupMember,
    KnowledgeBase,
    KnowledgeFile,
    KnowledgeGrant,
    User,
)
from confide.db.types import utcnow
from confide.store.access import Principal, Role, in_my_groups, owned_by
from confide.store.files import INDEXED, READY, Indexed, indexed
from confide.store.keys import UserCipher

OWNER, WRITE, READ = "owner", "write", "read"
Q = TypeVar("Q", bound=Select[*tuple[Any, ...]])
TABLE, NAME, DESCRIPTION = "knowledge_bases", "name", "description"


@dataclass(frozen=True)
class Grantee:
    """One grant: a user or a group (exactly one), and what they may do. `email`: a user
    grantee's address, as the owner is shown it; in a request, whom to share with instead of
    a user_id (services/knowledge.py resolves it)."""

    user_id: str | None
    group_id: str | None
    permission: str
    email: str | None = None


def _granted_to(principal: Principal) -> ColumnElement[bool]:
    """Grants naming me, or a group I am in now."""
    return or_(
        KnowledgeGrant.user_id == principal.uid, in_my_groups(principal, KnowledgeGrant.group_id)
    )


def readable_to(principal: Principal) -> ColumnElement[bool]:
    """Mine, or granted (to read or write) to me or a group I am in. Admins see no more."""
    granted = select(KnowledgeGrant.knowledge_id).where(_granted_to(principal))
    return or_(owned_by(principal, KnowledgeBase.user_id), KnowledgeBase.id.in_(granted))


async def get_readable(
    session: AsyncSession, principal: Principal, knowledge_id: str, *, lock: bool = False
) -> KnowledgeBase | None:
    """The base, if I may read it; `lock` holds its row until the transaction ends (so
    concurrent changes to its files or grants happen one after the other)."""
    query = select(KnowledgeBase).where(KnowledgeBase.id == knowledge_id, readable_to(principal))
    return await session.scalar(query.with_for_update() if lock else query)


async def permission(session: AsyncSession, principal: Principal, row: KnowledgeBase) -> str | None:
    """What I may do with a base: OWNER, WRITE, READ, or None."""
    if row.user_id == principal.uid:
        return OWNER
    query = select(KnowledgeGrant.permission).where(
        KnowledgeGrant.knowledge_id == row.id, _granted_to(principal)
    )
    found = set((await session.scalars(query)).all())
    return WRITE if WRITE in found else READ if READ in found else None


async def permissions(
    session: AsyncSession, principal: Principal, rows: Sequence[KnowledgeBase]
) -> dict[str, str]:
    """What I may do with each of `rows` (which I may read), by id."""
    mine = {r.id: OWNER for r in rows if r.user_id == principal.uid}
    others = [r.id for r in rows if r.id not in mine]
    if not others:
        return mine
    query = select(KnowledgeGrant.knowledge_id, KnowledgeGrant.permission).where(
        KnowledgeGrant.knowledge_id.in_(others), _granted_to(principal)
    )
    found: dict[str, str] = {}
    for knowledge_id, granted in (await session.execute(query)).all():
        if found.get(knowledge_id) != WRITE:
            found[knowledge_id] = granted
    return found | mine


async def page_readable(
    session: AsyncSession, principal: Principal, *, before: str | None, limit: int
) -> Sequence[KnowledgeBase]:
    """Newest first, `limit` at a time, starting after the id `before`."""
    query = select(KnowledgeBase).where(readable_to(principal))
    if before is not None:
        query = query.where(KnowledgeBase.id < before)
    return (await session.scalars(query.order_by(KnowledgeBase.id.desc()).limit(limit))).all()


async def create(
    session: AsyncSession, principal: Principal, box: UserCipher, *, name: str, description: str
) -> KnowledgeBase:
    """A new base of mine; `box` is my cipher (it seals the name and description)."""
    row = KnowledgeBase(id=new_id(), user_id=principal.uid)
    seal(box, row, NAME, name)
    seal(box, row, DESCRIPTION, description)
    session.add(row)
    await session.flush()
    await session.refresh(row)
    return row


def seal(box: UserCipher, row: KnowledgeBase, column: str, text: str) -> None:
    """Set `name` or `description`, sealed with the owner's cipher `box`."""
    setattr(row, column, box.seal(TABLE, column, row.id, text))


def open_text(box: UserCipher, row: KnowledgeBase, column: str) -> str:
    """`name` or `description`, opened with the owner's cipher `box`."""
    sealed: bytes = getattr(row, column)
    return box.open(TABLE, column, row.id, sealed)


async def remove(session: AsyncSession, principal: Principal, knowledge_id: str) -> None:
    """Delete my base with its file list and grants (cascade); the files themselves stay."""
    query = delete(KnowledgeBase).where(owned_by(principal, KnowledgeBase.user_id))
    await session.execute(query.where(KnowledgeBase.id == knowledge_id))


def touch(row: KnowledgeBase) -> None:
    row.updated_at = utcnow()


# --- files -----------------------------------------------------------------------------------


async def files_of(
    session: AsyncSession, knowledge_id: str
) -> Sequence[tuple[File, KnowledgeFile]]:
    """A base's files (with when each was added), oldest addition first; the caller checked
    that the principal may read the base."""
    query = (
        _in_use(select(File, KnowledgeFile))
        .where(KnowledgeFile.knowledge_id == knowledge_id)
        .order_by(KnowledgeFile.added_at, File.id)
    )
    return [(f, k) for f, k in (await session.execute(query)).all()]


def _in_use(query: Q) -> Q:
    """`query` over the files of bases (File, KnowledgeFile and KnowledgeBase joined), keeping
    only the files whose owner may add files to the base now: its owner, or someone granted
    `write`, by name or through a group they are in now. A writer who loses that (the grant
    taken away or made `read`, the group left) can no longer take their files out, so the
    base stops using them at once: they are not listed, counted or searched, and are back if
    `write` is granted again."""
    groups_of_owner = (
        select(GroupMember.group_id).where(GroupMember.user_id == File.user_id).correlate(File)
    )
    writer = (
        select(KnowledgeGrant.id)
        .correlate(File, KnowledgeFile)
        .where(
            KnowledgeGrant.knowledge_id == KnowledgeFile.knowledge_id,
            KnowledgeGrant.permission == WRITE,
            or_(
                KnowledgeGrant.user_id == File.user_id,
                KnowledgeGrant.group_id.in_(groups_of_owner),
            ),
        )
        .exists()
    )
    return (
        query.select_from(KnowledgeFile)
        .join(File, File.id == KnowledgeFile.file_id)
        .join(KnowledgeBase, KnowledgeBase.id == KnowledgeFile.knowledge_id)
        .where(or_(File.user_id == KnowledgeBase.user_id, writer))
    )


async def file_counts(session: AsyncSession, knowledge_ids: Sequence[str]) -> dict[str, int]:
    if not knowledge_ids:
        return {}
    query = (
        _in_use(select(KnowledgeFile.knowledge_id, func.count()))
        .where(KnowledgeFile.knowledge_id.in_(knowledge_ids))
        .group_by(KnowledgeFile.knowledge_id)
    )
    return {k: int(n) for k, n in (await session.execute(query)).all()}


async def entry(session: AsyncSession, knowledge_id: str, file_id: str) -> KnowledgeFile | None:
    return await session.get(KnowledgeFile, (knowledge_id, file_id))


async def add_file(session: AsyncSession, knowledge_id: str, file_id: str) -> KnowledgeFile:
    added = KnowledgeFile(knowledge_id=knowledge_id, file_id=file_id)
    session.add(added)
    await session.flush()
    return added


async def remove_file(session: AsyncSession, knowledge_id: str, file_id: str) -> None:
    await session.execute(
        delete(KnowledgeFile).where(
            KnowledgeFile.knowledge_id == knowledge_id, KnowledgeFile.file_id == file_id
        )
    )


# --- grants ----------------------------------------------------------------------------------


async def grants_of(session: AsyncSession, knowledge_id: str) -> list[Grantee]:
    """The base's grants, with each user grantee's address."""
    query = (
        select(KnowledgeGrant, User.email)
        .outerjoin(User, User.id == KnowledgeGrant.user_id)
        .where(KnowledgeGrant.knowledge_id == knowledge_id)
    )
    rows = (await session.execute(query.order_by(KnowledgeGrant.id))).all()
    return [Grantee(g.user_id, g.group_id, g.permission, email) for g, email in rows]


async def set_grants(session: AsyncSession, knowledge_id: str, wanted: Sequence[Grantee]) -> None:
    """Replace the base's grants with `wanted`."""
    await session.execute(delete(KnowledgeGrant).where(KnowledgeGrant.knowledge_id == knowledge_id))
    session.add_all(
        KnowledgeGrant(
            id=new_id(),
            knowledge_id=knowledge_id,
            user_id=g.user_id,
            group_id=g.group_id,
            permission=g.permission,
        )
        for g in wanted
    )
    await session.flush()


def _active() -> ColumnElement[bool]:
    """Approved accounts that are not disabled: the only users a base is shared with."""
    return and_(User.role.in_([Role.user.value, Role.admin.value]), User.disabled.is_(False))


async def active_users(session: AsyncSession, wanted: Sequence[str]) -> set[str]:
    """Which of `wanted` are approved accounts that are not disabled."""
    if not wanted:
        return set()
    query = select(User.id).where(User.id.in_(wanted), _active())
    return set((await session.scalars(query)).all())


async def active_users_by_email(session: AsyncSession, emails: Sequence[str]) -> dict[str, str]:
    """The ids of the approved, active accounts among `emails` (canonical, lower-case), by
    address."""
    if not emails:
        return {}
    query = select(User.email, User.id).where(User.email.in_(emails), _active())
    return {email: uid for email, uid in (await session.execute(query)).all()}


async def shareable_groups(
    session: AsyncSession, principal: Principal, wanted: Sequence[str]
) -> set[str]:
    """Which of `wanted` exist and may be shared with: groups I am in (any group, for admins)."""
    if not wanted:
        return set()
    query = select(Group.id).where(Group.id.in_(wanted))
    if not principal.is_admin:
        query = query.where(in_my_groups(principal, Group.id))
    return set((await session.scalars(query)).all())


# --- for retrieval ---------------------------------------------------------------------------


async def readable_ids(
    session: AsyncSession, principal: Principal, knowledge_ids: Sequence[str]
) -> list[str]:
    """Which of `knowledge_ids` I may read now, in the order given (each once)."""
    if not knowledge_ids:
        return []
    query = select(KnowledgeBase.id).where(
        KnowledgeBase.id.in_(knowledge_ids), readable_to(principal)
    )
    found = set((await session.scalars(query)).all())
    return list(dict.fromkeys(k for k in knowledge_ids if k in found))


async def readable_files(
    session: AsyncSession, principal: Principal, knowledge_ids: Sequence[str]
) -> list[Indexed]:
    """The indexed (READY) files of those of `knowledge_ids` I may read now, each once, by id.
    A base I may not read adds nothing. Files may be other users' (a base's owner, or those
    it is shared with for writing): open them with the cipher of each file's `user_id`.
    Asked at every retrieval, so a revoked grant or a group left takes effect at once."""
    if not knowledge_ids:
        return []
    query = _in_use(select(*INDEXED)).where(
        KnowledgeBase.id.in_(knowledge_ids), readable_to(principal), File.status == READY
    )
    return await indexed(session, query.distinct())
