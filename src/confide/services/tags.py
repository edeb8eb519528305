"""Tags on chats: set a chat's tags, list mine (with how many chats carry each), delete one.

A tag exists while a chat carries it: the first use creates it, the last removal drops it.
Names compare as the blind index normalizes them ("Work", "work" and "WORK" are one tag).
"""

from __future__ import annotations

from dataclasses import dataclass

from confide.errors import BadRequest, Conflict
from confide.security.blind import normalize
from confide.services.context import Context
from confide.store import chats, keys, tags
from confide.store.access import Principal

MAX_TAGS_PER_CHAT = 20
MAX_TAGS = 1000  # per user


@dataclass(frozen=True)
class TagView:
    id: str
    name: str
    chats: int


def clean(names: list[str]) -> list[str]:
    """Tag names with their spacing tidied, each once (the first spelling wins)."""
    unique: dict[str, str] = {}
    for raw in names:
        name = " ".join(raw.split())
        if not name:
            raise BadRequest("A tag needs a name.")
        unique.setdefault(normalize(name), name)
    if len(unique) > MAX_TAGS_PER_CHAT:
        raise BadRequest(f"A chat can have at most {MAX_TAGS_PER_CHAT} tags.")
    return list(unique.values())


async def set_tags(principal: Principal, ctx: Context, chat_id: str, names: list[str]) -> list[str]:
    """Replace the chat's tags; answers their names as stored (an existing tag keeps its
    first spelling)."""
    wanted = clean(names)
    async with ctx.db.write() as session:
        chat = await chats.get_chat(session, principal, chat_id)
        cipher = await keys.cipher_for(session, ctx.sealer, principal.uid)
        rows = [await tags.get_or_add(session, principal, cipher, n) for n in wanted]
        await tags.set_chat_tags(session, chat, [t.id for t in rows])
        await session.flush()
        await tags.drop_unused(session, principal)
        if await tags.count(session, principal) > MAX_TAGS:  # the transaction rolls back
            raise Conflict(f"You have {MAX_TAGS} tags, the most there can be: reuse one.")
        return [tags.tag_name(t, cipher) for t in rows]


async def list_tags(principal: Principal, ctx: Context) -> list[TagView]:
    async with ctx.db.read() as session:
        rows = await tags.all_tags(session, principal)
        cipher = await keys.cipher_for(session, ctx.sealer, principal.uid)
    views = [TagView(t.id, tags.tag_name(t, cipher), n) for t, n in rows]
    return sorted(views, key=lambda v: (v.name.casefold(), v.id))


async def delete_tag(principal: Principal, ctx: Context, tag_id: str) -> None:
    """Remove the tag from every chat that carries it."""
    async with ctx.db.write() as session:
        tag = await tags.get_tag(session, principal, tag_id)
        await tags.delete_tag(session, tag)
