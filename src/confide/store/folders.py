"""A user's folders of chats. Names are sealed; every query is scoped to the acting user."""

from __future__ import annotations

from sqlalchemy import delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from confide.db.ids import new_id
from confide.db.tables import Chat, Folder
from confide.db.types import utcnow
from confide.store.access import Principal, get_owned, owned_by
from confide.store.keys import UserCipher


async def get_folder(session: AsyncSession, principal: Principal, folder_id: str) -> Folder:
    return await get_owned(session, principal, Folder, folder_id, "Folder")


async def all_folders(session: AsyncSession, principal: Principal) -> list[Folder]:
    query = select(Folder).where(owned_by(principal, Folder.user_id)).order_by(Folder.id)
    return list((await session.scalars(query)).all())


async def count(session: AsyncSession, principal: Principal) -> int:
    query = select(func.count()).select_from(Folder).where(owned_by(principal, Folder.user_id))
    return int(await session.scalar(query) or 0)


async def chat_counts(
    session: AsyncSession, principal: Principal, folder_id: str | None = None
) -> dict[str, tuple[int, int]]:
    """Per folder of the user (or only `folder_id`): how many of the user's chats are directly
    in it, as (not archived, archived). Folders without chats are left out. One grouped query."""
    archived = func.count().filter(Chat.archived.is_(True))
    in_folder = Chat.folder_id.is_not(None) if folder_id is None else Chat.folder_id == folder_id
    query = (
        select(Chat.folder_id, func.count() - archived, archived)
        .where(owned_by(principal, Chat.user_id), in_folder)
        .group_by(Chat.folder_id)
    )
    rows = (await session.execute(query)).all()
    return {str(folder_id): (int(shown), int(hidden)) for folder_id, shown, hidden in rows}


def add_folder(
    session: AsyncSession,
    principal: Principal,
    cipher: UserCipher,
    name: str,
    parent_id: str | None,
) -> Folder:
    folder_id = new_id()
    folder = Folder(
        id=folder_id,
        user_id=principal.uid,
        parent_id=parent_id,
        name=cipher.seal("folders", "name", folder_id, name),
    )
    session.add(folder)
    return folder


def set_name(folder: Folder, cipher: UserCipher, name: str) -> None:
    folder.name = cipher.seal("folders", "name", folder.id, name)
    folder.updated_at = utcnow()


def folder_name(folder: Folder, cipher: UserCipher) -> str:
    return cipher.open("folders", "name", folder.id, folder.name)


async def move_chats(
    session: AsyncSession, principal: Principal, folder_ids: set[str], to: str | None
) -> None:
    """Every chat of the user in one of `folder_ids` goes to folder `to` (None: no folder)."""
    await session.execute(
        update(Chat)
        .where(owned_by(principal, Chat.user_id), Chat.folder_id.in_(folder_ids))
        .values(folder_id=to)
    )


async def chats_in(session: AsyncSession, principal: Principal, folder_ids: set[str]) -> list[str]:
    query = select(Chat.id).where(owned_by(principal, Chat.user_id), Chat.folder_id.in_(folder_ids))
    return list((await session.scalars(query)).all())


async def delete_folders(session: AsyncSession, principal: Principal, folder_ids: set[str]) -> None:
    await session.execute(
        delete(Folder).where(owned_by(principal, Folder.user_id), Folder.id.in_(folder_ids))
    )
