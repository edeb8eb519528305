"""A populated instance for the attack suites: an admin, user A with real data of every kind,
user B (the attacker) with data of their own, and accounts in every state that must be refused.

Built once per test module (building it costs a few password hashes and model replies), and
checked through the owners' own API: `snapshot()` is what A and the admin can see; an attack
passes only when the snapshot after it equals the one taken when the world was built.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from confide.app import build_context, close_context, create_app
from confide.services import ingest
from confide.services.context import Context
from confide.settings import Settings
from tests.conftest import PASSWORD, _truncate_all, make_settings, new_client, signup
from tests.fakes.images import png
from tests.fakes.openai_server import FakeOpenAI
from tests.fakes.server import Reply

MODEL = "fake-small"
# What only A (or the admin) may ever see. Every one is unusual enough that finding it in an
# answer to somebody else means it leaked.
A_TITLE = "Alice's chat about the Quokka merger"
A_TEXT = "Alice asks: is the Quokka merger on for 2031-07-04?"
A_TEXT_2 = "Alice asks a second thing about Wombat Ventures"
A_REPLY = "Model tells Alice: the Quokka deal closes on Tuesday"
A_LIVE = "Model is still telling Alice about Wombat"  # streamed, not yet saved
A_PROMPT = "You are Alice's private helper; the vault code is 7731-Zanzibar."
A_PRESET = "Alice's secret helper"
A_NAME = "Alice Owner"
A_EMAIL = "alice@example.com"
A_FOLDER = "Alice's folder: Project Platypus"
A_TAG = "alice-tag-nightingale"
B_EMAIL = "bob@example.com"
A_AVATAR = png(3, 3, (200, 30, 30))
B_AVATAR = png(2, 2, (30, 30, 200))
A_FILE_NAME = "alice-quokka-escrow.md"
A_FILE_TEXT = "# Quokka escrow\n\nAlice's escrow account holds 41 million for Marmoset.\n"
A_KNOWLEDGE = "Alice's knowledge: Pangolin due diligence"


@dataclass(frozen=True)
class Upload:
    """A file sent as `multipart/form-data` (the `file` field)."""

    name: str
    data: bytes


B_FILE = Upload("bob-notes.txt", b"Bob's own notes.")
UPSTREAM_KEY = "sk-upstream-Z3kT9vQ2mL8xR4pW6nB1cD5fG7hJ0"
GROUP = "Team Alice"  # A is its only member
B_GROUP = "Team Bob"  # B is its only member


@dataclass
class World:
    app: Any
    ctx: Context
    settings: Settings
    fake: FakeOpenAI
    clients: dict[str, httpx.AsyncClient] = field(default_factory=dict)
    ids: dict[str, str] = field(default_factory=dict)
    secrets: dict[str, str] = field(default_factory=dict)  # A's key, the upstream key, ...
    baseline: dict[str, Any] = field(default_factory=dict)

    def client(self, name: str) -> httpx.AsyncClient:
        return self.clients[name]

    def fill(self, value: Any) -> Any:
        """A path or JSON body with `{a_chat}`-style placeholders replaced by real ids."""
        if isinstance(value, str):
            return value.format_map(self.ids)
        if isinstance(value, list):
            return [self.fill(v) for v in value]
        if isinstance(value, dict):
            return {k: self.fill(v) for k, v in value.items()}
        return value

    def private_texts(self) -> list[str]:
        """Strings of A's and the instance's that nobody else may ever be shown."""
        return [
            A_TITLE,
            A_TEXT,
            A_TEXT_2,
            A_REPLY,
            A_LIVE,
            A_PROMPT,
            A_PRESET,
            A_NAME,
            A_EMAIL,
            A_FOLDER,
            A_TAG,
            A_FILE_NAME,
            "Marmoset",  # in A's file
            A_KNOWLEDGE,
            GROUP,
            UPSTREAM_KEY,
            *self.secrets.values(),
        ]

    def a_ids(self) -> dict[str, str]:
        return {k: v for k, v in self.ids.items() if k.startswith("a_")}


async def json_of(c: httpx.AsyncClient, path: str, **kwargs: Any) -> Any:
    response = await c.get(path, **kwargs)
    assert response.status_code == 200, f"GET {path}: {response.status_code} {response.text}"
    return response.json()


def _without(items: list[dict[str, Any]], *volatile: str) -> list[dict[str, Any]]:
    return [{k: v for k, v in item.items() if k not in volatile} for item in items]


async def snapshot(world: World) -> dict[str, Any]:
    """Everything A and the admin can see of their data, through their own API."""
    a, admin = world.client("a"), world.client("admin")
    ids = world.ids
    a_key = {"authorization": f"Bearer {world.secrets['a_key']}"}
    key_check = await a.get("/v1/models", headers=a_key)
    return {
        "a.me": await json_of(a, "/api/auth/me"),
        "a.avatar": (await a.get(f"/api/users/{ids['a_user']}/avatar")).content,
        "a.chats": await json_of(a, "/api/chats", params={"limit": 200}),
        "a.archived": await json_of(a, "/api/chats", params={"limit": 200, "archived": True}),
        "a.chat": await json_of(a, f"/api/chats/{ids['a_chat']}", params={"tree": True}),
        "a.preset": await json_of(a, f"/api/models/presets/{ids['a_preset']}"),
        "a.folders": await json_of(a, "/api/folders"),
        "a.tags": await json_of(a, "/api/tags"),
        "a.shares": await json_of(a, "/api/shares"),
        "a.files": await json_of(a, "/api/files"),
        "a.file": (await a.get(f"/api/files/{ids['a_file']}/content")).content,
        "a.knowledge": await json_of(a, f"/api/knowledge/{ids['a_knowledge']}"),
        "a.knowledge list": await json_of(a, "/api/knowledge", params={"limit": 200}),
        "a.filed": await json_of(a, "/api/chats", params={"folder_id": ids["a_folder"]}),
        "a.groups": await json_of(a, "/api/groups/mine"),
        "a.keys": _without(await json_of(a, "/api/api-keys"), "last_used_at"),
        "a.sessions": _without(await json_of(a, "/api/auth/sessions"), "last_seen_at"),
        "a.key works": key_check.status_code,
        "admin.users": [
            u
            for u in (await json_of(admin, "/api/users", params={"limit": 200}))["items"]
            if u["id"] != ids["b_user"]
        ],
        "admin.connection": await json_of(admin, f"/api/connections/{ids['conn']}"),
        "admin.group": await json_of(admin, f"/api/groups/{ids['group']}"),
        "admin.settings": await json_of(admin, "/api/settings"),
    }


async def assert_unchanged(world: World) -> None:
    after = await snapshot(world)
    changed = [name for name in world.baseline if after[name] != world.baseline[name]]
    assert not changed, f"the owners' data changed: {changed}"


# --- building it -----------------------------------------------------------------------------


async def _created(c: httpx.AsyncClient, path: str, body: dict[str, Any]) -> dict[str, Any]:
    response = await c.post(path, json=body)
    assert response.status_code == 201, f"POST {path}: {response.text}"
    data: dict[str, Any] = response.json()
    return data


async def _member(app: Any, admin: httpx.AsyncClient, email: str, name: str) -> httpx.AsyncClient:
    c = new_client(app)
    c.user = await signup(c, email, name=name)  # type: ignore[attr-defined]
    approved = await admin.post(f"/api/users/{c.user['id']}/approve")  # type: ignore[attr-defined]
    assert approved.status_code == 200, approved.text
    return c


async def _send(world: World, c: httpx.AsyncClient, chat_id: str, **body: Any) -> dict[str, Any]:
    sent = await _created(c, f"/api/chats/{chat_id}/messages", {"model": MODEL, **body})
    return sent


async def _finish(world: World, sent: dict[str, Any]) -> None:
    for message_id in sent["assistant_message_ids"]:
        await world.ctx.runner.wait(message_id)


async def _until(check: Any, what: str) -> None:
    for _ in range(200):  # 10 s
        if await check():
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


async def _populate_a(world: World) -> None:
    a, ids, fake = world.client("a"), world.ids, world.fake
    ids["a_user"] = a.user["id"]  # type: ignore[attr-defined]
    avatar = await a.put("/api/auth/me/avatar", content=A_AVATAR)
    assert avatar.status_code == 200, avatar.text
    ids["a_chat"] = (await _created(a, "/api/chats", {"title": A_TITLE}))["id"]
    fake.script(chunks=[A_REPLY])
    first = await _send(world, a, ids["a_chat"], content=A_TEXT)
    await _finish(world, first)
    ids["a_msg"], ids["a_reply"] = first["user_message_id"], first["assistant_message_ids"][0]
    again = await _send(world, a, ids["a_chat"], parent_id=ids["a_msg"])  # a second branch
    await _finish(world, again)
    ids["a_reply2"] = again["assistant_message_ids"][0]
    # A reply still being written: its first words arrive, the rest never does.
    fake.script(chunks=[A_LIVE, "never"], delay=3600)
    live = await _send(world, a, ids["a_chat"], content=A_TEXT_2)
    ids["a_msg2"], ids["a_live"] = live["user_message_id"], live["assistant_message_ids"][0]

    async def streaming() -> bool:
        chats = [r for r in fake.requests if r.path.endswith("/chat/completions")]
        return any(A_TEXT_2 in json.dumps(r.json) for r in chats)

    await _until(streaming, "the live reply to start")
    await asyncio.sleep(0.1)  # its first words reach the broker
    assert world.ctx.runner.is_running(ids["a_live"])
    fake.script(Reply())
    await _file_a_chat(world)
    await _share_a_chat(world)
    await _upload_a_file(world)
    preset = await _created(
        a,
        "/api/models/presets",
        {"name": A_PRESET, "base_model": MODEL, "system_prompt": A_PROMPT},
    )
    ids["a_preset"] = preset["id"]
    key = await _created(a, "/api/api-keys", {"name": "Alice's script"})
    ids["a_key"], world.secrets["a_key"] = key["id"], key["key"]
    sessions = await json_of(a, "/api/auth/sessions")
    ids["a_session"] = next(s["id"] for s in sessions if s["current"])


async def _file_a_chat(world: World) -> None:
    """A's folder (inside another), with a tagged chat in it."""
    a, ids = world.client("a"), world.ids
    ids["a_top_folder"] = (await _created(a, "/api/folders", {"name": "Alice's top folder"}))["id"]
    body = {"name": A_FOLDER, "parent_id": ids["a_top_folder"]}
    ids["a_folder"] = (await _created(a, "/api/folders", body))["id"]
    chat = {"title": "Alice's filed chat", "folder_id": ids["a_folder"]}
    ids["a_filed"] = (await _created(a, "/api/chats", chat))["id"]
    tagged = await a.put(f"/api/chats/{ids['a_filed']}/tags", json={"tags": [A_TAG]})
    assert tagged.status_code == 200, tagged.text
    ids["a_tag"] = (await json_of(a, "/api/tags"))[0]["id"]


async def _upload_a_file(world: World) -> None:
    """A's uploaded file, read and indexed."""
    a, ids = world.client("a"), world.ids
    sent = {"file": (A_FILE_NAME, A_FILE_TEXT.encode(), "text/markdown")}
    response = await a.post("/api/files", files=sent)
    assert response.status_code == 201, response.text
    ids["a_file"] = response.json()["id"]
    await ingest.run_pending(world.ctx)
    assert (await json_of(a, f"/api/files/{ids['a_file']}"))["status"] == "ready"


async def _a_knowledge(world: World) -> None:
    """A's knowledge base: A's file in it, shared with A's group (A is its only member)."""
    a, ids = world.client("a"), world.ids
    made = await _created(a, "/api/knowledge", {"name": A_KNOWLEDGE, "description": A_TEXT})
    ids["a_knowledge"] = made["id"]
    await _created(a, f"/api/knowledge/{made['id']}/files", {"file_id": ids["a_file"]})
    grants = {"grants": [{"group_id": ids["group"], "permission": "read"}]}
    shared = await a.put(f"/api/knowledge/{made['id']}/grants", json=grants)
    assert shared.status_code == 200, shared.text


async def _share_a_chat(world: World) -> None:
    """A's members-only link to their chat, and a link A made and revoked."""
    a, ids = world.client("a"), world.ids
    made = await _created(a, f"/api/chats/{ids['a_chat']}/shares", {"public": False})
    ids["a_share"], ids["a_share_token"] = made["id"], made["token"]
    revoked = await _created(a, f"/api/chats/{ids['a_chat']}/shares", {})
    gone = await a.delete(f"/api/shares/{revoked['id']}")
    assert gone.status_code == 204, gone.text
    ids["a_revoked_token"] = revoked["token"]


async def _populate_b(world: World) -> None:
    b, ids = world.client("b"), world.ids
    ids["b_user"] = b.user["id"]  # type: ignore[attr-defined]
    ids["b_chat"] = (await _created(b, "/api/chats", {"title": "Bob's chat"}))["id"]
    ids["b_folder"] = (await _created(b, "/api/folders", {"name": "Bob's folder"}))["id"]
    preset = {"name": "Bob's helper", "base_model": MODEL}
    ids["b_preset"] = (await _created(b, "/api/models/presets", preset))["id"]
    ids["b_knowledge"] = (await _created(b, "/api/knowledge", {"name": "Bob's notes"}))["id"]
    key = await _created(b, "/api/api-keys", {"name": "Bob's script"})
    ids["b_key"], world.secrets["b_key"] = key["id"], key["key"]
    world.clients["b_key"] = new_client(
        world.app, headers={"authorization": f"Bearer {key['key']}"}
    )


async def _add_refused_accounts(world: World) -> None:
    """Accounts that must get nowhere: pending, disabled, and pending again after approval."""
    app, admin, ids = world.app, world.client("admin"), world.ids
    pending = new_client(app)
    ids["pending_user"] = (await signup(pending, "pending@example.com", name="Pat Pending"))["id"]
    world.clients["pending"] = pending
    for name, change in (("disabled", {"disabled": True}), ("demoted", {"role": "pending"})):
        c = await _member(app, admin, f"{name}@example.com", name.title())
        key = await _created(c, "/api/api-keys", {"name": "soon refused"})
        changed = await admin.patch(f"/api/users/{c.user['id']}", json=change)  # type: ignore[attr-defined]
        assert changed.status_code == 200, changed.text
        ids[f"{name}_user"] = c.user["id"]  # type: ignore[attr-defined]
        world.clients[name] = c  # its session ended with the change
        world.clients[f"{name}_key"] = new_client(
            app, headers={"authorization": f"Bearer {key['key']}"}
        )


async def _populate(world: World) -> None:
    app, fake = world.app, world.fake
    admin = new_client(app)
    admin.user = await signup(admin, "admin@example.com", name="Ada Admin")  # type: ignore[attr-defined]
    world.clients["admin"] = admin
    world.ids["admin_user"] = admin.user["id"]  # type: ignore[attr-defined]
    world.clients["anon"] = new_client(app)
    world.clients["a"] = await _member(app, admin, A_EMAIL, A_NAME)
    world.clients["b"] = await _member(app, admin, B_EMAIL, "Bob Other")
    conn = {
        "kind": "openai",
        "name": "Fake upstream",
        "base_url": fake.base_url,
        "api_key": UPSTREAM_KEY,
        "read_timeout": 600,
    }
    world.ids["conn"] = (await _created(admin, "/api/connections", conn))["id"]
    world.ids["group"] = (await _created(admin, "/api/groups", {"name": GROUP}))["id"]
    await _populate_a(world)
    added = await admin.put(f"/api/groups/{world.ids['group']}/members/{world.ids['a_user']}")
    assert added.status_code == 200, added.text
    await _a_knowledge(world)
    await _populate_b(world)
    world.ids["b_group"] = (await _created(admin, "/api/groups", {"name": B_GROUP}))["id"]
    added = await admin.put(f"/api/groups/{world.ids['b_group']}/members/{world.ids['b_user']}")
    assert added.status_code == 200, added.text
    await _add_refused_accounts(world)
    world.baseline = await snapshot(world)


async def fresh_login(world: World, email: str) -> httpx.AsyncClient:
    """A new client with a new session of an existing account (close it when done)."""
    c = new_client(world.app)
    response = await c.post("/api/auth/login", json={"email": email, "password": PASSWORD})
    assert response.status_code == 200, response.text
    return c


def _database_url(db_kind: str, template: str, root: Path) -> str:
    if db_kind == "postgresql":
        return template
    target = root / "data" / "confide.db"
    target.parent.mkdir(mode=0o700)
    shutil.copyfile(template, target)
    return f"sqlite+aiosqlite:///{target}"


@asynccontextmanager
async def built_world(db_kind: str, template: str, root: Path) -> AsyncIterator[World]:
    # Generous login limits: the world signs many accounts in from one address.
    settings = make_settings(
        root,
        _database_url(db_kind, template, root),
        login_rate_per_ip=100_000,
        login_rate_per_account=100_000,
    )
    if db_kind == "postgresql":
        await _truncate_all(settings.sqlalchemy_url)
    async with AsyncExitStack() as stack:
        fake = await stack.enter_async_context(FakeOpenAI.running())
        ctx = await build_context(settings)
        stack.push_async_callback(close_context, ctx)
        world = World(app=create_app(settings, ctx), ctx=ctx, settings=settings, fake=fake)
        try:
            await _populate(world)
            yield world
        finally:
            for c in world.clients.values():
                await c.aclose()


def clean_environment() -> list[str]:
    """CONFIDE_ variables of the developer's shell, which the world must not read."""
    return [n for n in os.environ if n.startswith("CONFIDE_") and not n.startswith("CONFIDE_TEST_")]
