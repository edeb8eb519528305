"""Folders of chats: a tree per user (create, rename, move, delete).

Deleting a folder deletes the folders inside it too; their chats either move out (to the
deleted folder's parent, or to no folder) or are deleted with it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from types import EllipsisType
from typing import Literal

from confide.db.tables import Folder
from confide.errors import BadRequest, Conflict
from confide.services import chats as chat_service
from confide.services import postings as posting_service
from confide.services.context import Context
from confide.store import folders, keys
from confide.store.access import Principal
from confide.store.keys import UserCipher

MAX_FOLDERS = 1000
MAX_DEPTH = 10
ChatsOnDelete = Literal["move", "delete"]


@dataclass(frozen=True)
class FolderView:
    id: str
    name: str
    parent_id: str | None
    created_at: datetime
    updated_at: datetime
    chats: int = 0  # directly in it, not archived
    archived_chats: int = 0  # directly in it, archived


def _view(folder: Folder, cipher: UserCipher, counts: tuple[int, int] = (0, 0)) -> FolderView:
    name = folders.folder_name(folder, cipher)
    times = (folder.created_at, folder.updated_at)
    return FolderView(folder.id, name, folder.parent_id, *times, *counts)


async def list_folders(principal: Principal, ctx: Context) -> list[FolderView]:
    """My folders by name, each with how many of my chats are directly in it."""
    async with ctx.db.read() as session:
        rows = await folders.all_folders(session, principal)
        counts = await folders.chat_counts(session, principal)
        cipher = await keys.cipher_for(session, ctx.sealer, principal.uid)
    views = (_view(f, cipher, counts.get(f.id, (0, 0))) for f in rows)
    return sorted(views, key=lambda f: (f.name.casefold(), f.id))


async def create_folder(
    principal: Principal, ctx: Context, name: str, parent_id: str | None
) -> FolderView:
    async with ctx.db.write() as session:
        if await folders.count(session, principal) >= MAX_FOLDERS:
            raise Conflict(f"You have {MAX_FOLDERS} folders, the most there can be.")
        rows = await folders.all_folders(session, principal)
        if parent_id is not None:
            await folders.get_folder(session, principal, parent_id)
            _check_depth(_parents(rows), parent_id, extra=1)
        cipher = await keys.cipher_for(session, ctx.sealer, principal.uid)
        folder = folders.add_folder(session, principal, cipher, name, parent_id)
        await session.flush()
        return _view(folder, cipher)


async def update_folder(
    principal: Principal,
    ctx: Context,
    folder_id: str,
    *,
    name: str | None = None,
    parent_id: str | EllipsisType | None = ...,
) -> FolderView:
    """Rename, and/or move under another folder (None: to the top level)."""
    async with ctx.db.write() as session:
        folder = await folders.get_folder(session, principal, folder_id)
        cipher = await keys.cipher_for(session, ctx.sealer, principal.uid)
        if name is not None:
            folders.set_name(folder, cipher, name)
        if not isinstance(parent_id, EllipsisType) and parent_id != folder.parent_id:
            if parent_id is not None:
                await folders.get_folder(session, principal, parent_id)
            _move(await folders.all_folders(session, principal), folder, parent_id)
        await session.flush()
        counts = await folders.chat_counts(session, principal, folder.id)
        return _view(folder, cipher, counts.get(folder.id, (0, 0)))


def _move(rows: list[Folder], folder: Folder, parent_id: str | None) -> None:
    parents = _parents(rows)
    if parent_id is not None:
        if parent_id in subtree(rows, {folder.id}):
            raise BadRequest("A folder cannot go inside itself or one of its own folders.")
        _check_depth(parents, parent_id, extra=_height(rows, folder.id))
    folder.parent_id = parent_id


async def delete_folder(
    principal: Principal, ctx: Context, folder_id: str, chats_go: ChatsOnDelete
) -> None:
    """Delete a folder and the folders inside it; their chats move out or are deleted."""
    async with ctx.db.write() as session:
        folder = await folders.get_folder(session, principal, folder_id)
        doomed = subtree(await folders.all_folders(session, principal), {folder.id})
        running: list[str] = []
        deleted = 0
        if chats_go == "delete":
            ids = await folders.chats_in(session, principal, doomed)
            running = await chat_service.delete_chats(session, principal, ids)
            deleted = len(ids)
        else:
            await folders.move_chats(session, principal, doomed, folder.parent_id)
        await folders.delete_folders(session, principal, doomed)
    chat_service.stop_replies(ctx, running)
    posting_service.compact_later(ctx, principal, deleted)


def _parents(rows: list[Folder]) -> dict[str, str | None]:
    return {f.id: f.parent_id for f in rows}


def subtree(rows: list[Folder], roots: set[str]) -> set[str]:
    """The folders `roots` and every folder inside them."""
    children: dict[str | None, list[str]] = {}
    for folder in rows:
        children.setdefault(folder.parent_id, []).append(folder.id)
    return chat_service.descendants(children, roots)


def _depth(parents: dict[str, str | None], folder_id: str) -> int:
    """1 for a top-level folder, 2 for one inside it, ..."""
    depth = 0
    current: str | None = folder_id
    while current is not None and depth <= len(parents):
        depth += 1
        current = parents.get(current)
    return depth


def _height(rows: list[Folder], folder_id: str) -> int:
    """How many levels the folder and its deepest folder inside span (1: no sub-folders)."""
    parents = _parents(rows)
    below = subtree(rows, {folder_id})
    base = _depth(parents, folder_id)
    return max(_depth(parents, f) for f in below) - base + 1


def _check_depth(parents: dict[str, str | None], parent_id: str, *, extra: int) -> None:
    if _depth(parents, parent_id) + extra > MAX_DEPTH:
        raise BadRequest(f"Folders can be nested at most {MAX_DEPTH} levels deep.")
