"""An instance with data of every kind a user sees, and what each user sees of it.

`populate` fills an instance through its API: an admin and two more users, each with a folder,
a tagged chat in it whose first message has two answers (a branch), a second chat, an uploaded
and indexed file, and a knowledge base holding it (one shared with another user). `seen` signs
every user in again, with their password, and collects their chats (as trees), folders, tags,
files (with their bytes) and knowledge bases through the API: a copy of the instance (restored
backup, migrated database) must show every user exactly the same.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
from sqlalchemy import select

from confide.app import build_context, close_context, create_app
from confide.db import migrate
from confide.db.engine import Database
from confide.db.ids import new_id
from confide.db.tables import Chat, Message, User
from confide.services import ingest
from confide.services.context import Context
from confide.settings import Settings
from tests.conftest import PASSWORD, new_client, signup
from tests.fakes.openai_server import FakeOpenAI

MODEL = "fake-small"
USERS = (
    ("ada@example.com", "Ada Admin"),
    ("bea@example.com", "Bea Brook"),
    ("cy@example.com", "Cy Coast"),
)


@asynccontextmanager
async def running(settings: Settings) -> AsyncIterator[tuple[Any, Context]]:
    ctx = await build_context(settings)
    try:
        yield create_app(settings, ctx), ctx
    finally:
        await close_context(ctx)


async def _created(c: httpx.AsyncClient, path: str, body: dict[str, Any]) -> dict[str, Any]:
    response = await c.post(path, json=body)
    assert response.status_code == 201, f"POST {path}: {response.text}"
    data: dict[str, Any] = response.json()
    return data


async def populate(settings: Settings, fake: FakeOpenAI) -> None:
    async with running(settings) as (app, ctx):
        clients = [new_client(app) for _ in USERS]
        try:
            admin = clients[0]
            for c, (email, name) in zip(clients, USERS, strict=True):
                c.user = await signup(c, email, name=name)  # type: ignore[attr-defined]
                if c is not admin:
                    approved = await admin.post(f"/api/users/{c.user['id']}/approve")  # type: ignore[attr-defined]
                    assert approved.status_code == 200, approved.text
            connection = {"kind": "openai", "name": "Fake", "base_url": fake.base_url}
            await _created(admin, "/api/connections", connection)
            for number, c in enumerate(clients):
                await _fill(ctx, fake, c, f"{USERS[number][1]}'s")
            await _share_knowledge(clients[1], USERS[2][0])
        finally:
            for c in clients:
                await c.aclose()


async def _fill(ctx: Context, fake: FakeOpenAI, c: httpx.AsyncClient, whose: str) -> None:
    folder = await _created(c, "/api/folders", {"name": f"{whose} folder"})
    chat = await _created(c, "/api/chats", {"title": f"{whose} chat", "folder_id": folder["id"]})
    fake.script(chunks=[f"{whose} first answer"])
    first = await _send(ctx, c, chat["id"], content=f"{whose} question")
    fake.script(chunks=[f"{whose} second answer"])
    await _send(ctx, c, chat["id"], parent_id=first["user_message_id"])  # a branch
    fake.script(chunks=[f"{whose} follow-up answer"])
    await _send(ctx, c, chat["id"], content=f"{whose} follow-up ünïcödé")
    tagged = await c.put(f"/api/chats/{chat['id']}/tags", json={"tags": [f"tag-{whose[:2]}"]})
    assert tagged.status_code == 200, tagged.text
    other = await _created(c, "/api/chats", {"title": f"{whose} other chat"})
    fake.script(chunks=[f"{whose} other answer"])
    await _send(ctx, c, other["id"], content=f"{whose} other question")
    text = f"# {whose} notes\n\nThe {whose} secret number is 4217.\n".encode()
    upload = await c.post("/api/files", files={"file": (f"{whose}.md", text, "text/markdown")})
    assert upload.status_code == 201, upload.text
    await ingest.run_pending(ctx)
    base = await _created(c, "/api/knowledge", {"name": f"{whose} knowledge"})
    await _created(c, f"/api/knowledge/{base['id']}/files", {"file_id": upload.json()["id"]})


async def _send(ctx: Context, c: httpx.AsyncClient, chat_id: str, **body: Any) -> dict[str, Any]:
    sent = await _created(c, f"/api/chats/{chat_id}/messages", {"model": MODEL, **body})
    for message_id in sent["assistant_message_ids"]:
        await ctx.runner.wait(message_id)
    return sent


async def _share_knowledge(owner: httpx.AsyncClient, email: str) -> None:
    bases = (await owner.get("/api/knowledge")).json()["items"]
    grants = {"grants": [{"email": email, "permission": "read"}]}
    shared = await owner.put(f"/api/knowledge/{bases[0]['id']}/grants", json=grants)
    assert shared.status_code == 200, shared.text


async def seen(settings: Settings) -> dict[str, Any]:
    """What every user sees, signing in again with their password."""
    async with running(settings) as (app, _ctx):
        return {email: await seen_by(app, email) for email, _name in USERS}


async def seen_by(app: Any, email: str) -> dict[str, Any]:
    async with new_client(app) as c:
        login = await c.post("/api/auth/login", json={"email": email, "password": PASSWORD})
        assert login.status_code == 200, f"{email} cannot sign in: {login.text}"
        chats = await _get(c, "/api/chats", params={"limit": 200})
        files = await _get(c, "/api/files")
        bases = await _get(c, "/api/knowledge", params={"limit": 200})
        view = {
            "me": await _get(c, "/api/auth/me"),
            "chats": chats,
            "trees": [
                await _get(c, f"/api/chats/{x['id']}", params={"tree": True}) for x in _items(chats)
            ],
            "folders": await _get(c, "/api/folders"),
            "tags": await _get(c, "/api/tags"),
            "files": files,
            "bytes": [
                (await c.get(f"/api/files/{f['id']}/content")).content for f in _items(files)
            ],
            "knowledge": bases,
            "bases": [await _get(c, f"/api/knowledge/{b['id']}") for b in _items(bases)],
        }
        if email == USERS[0][0]:
            view["users"] = await _get(c, "/api/users", params={"limit": 200})
        return view


def _items(listing: Any) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = listing["items"] if isinstance(listing, dict) else listing
    return items


async def _get(c: httpx.AsyncClient, path: str, **kwargs: Any) -> Any:
    response = await c.get(path, **kwargs)
    assert response.status_code == 200, f"GET {path}: {response.status_code} {response.text}"
    return response.json()


async def small_instance(settings: Settings) -> None:
    """An admin with a chat and an uploaded file (quicker than the full population)."""
    async with running(settings) as (app, _ctx), new_client(app) as c:
        await signup(c, "ada@example.com", name="Ada Admin")
        made = await c.post("/api/chats", json={"title": "A chat"})
        assert made.status_code == 201, made.text
        sent = {"file": ("notes.txt", b"some notes", "text/plain")}
        assert (await c.post("/api/files", files=sent)).status_code == 201


async def backward_chain(settings: Settings) -> str:
    """A chain of messages whose ids do not follow the chain (as an import might make)."""
    db = Database(settings.sqlalchemy_url)
    try:
        await migrate.upgrade(db)
        user, chat = new_id(), new_id()
        chain = ["f" * 32, "1" * 32, "2" * 32, "0" * 32]  # each one the parent of the next
        async with db.write() as session:
            session.add(
                User(id=user, email="x@example.com", name="X", role="user", password_hash="-")
            )
            session.add(Chat(id=chat, user_id=user, title=b"sealed"))
            await session.flush()
            parent = None
            for message_id in chain:
                session.add(
                    Message(
                        id=message_id, chat_id=chat, parent_id=parent, role="user", content=b"x"
                    )
                )
                await session.flush()
                parent = message_id
        return chat
    finally:
        await db.dispose()


async def parents(url: str, chat_id: str) -> list[tuple[str, str | None]]:
    db = Database(url)
    try:
        async with db.read() as session:
            rows = await session.execute(
                select(Message.id, Message.parent_id)
                .where(Message.chat_id == chat_id)
                .order_by(Message.id)
            )
            return [(r[0], r[1]) for r in rows]
    finally:
        await db.dispose()
