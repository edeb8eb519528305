"""Export: one chat or all chats as JSON (every branch), Markdown or text (the current
branch), and the full personal archive; downloads are uncached attachments of my own data."""

from __future__ import annotations

import io
import json
import zipfile
from typing import Any

import httpx
from sqlalchemy import select

from confide.db.tables import AuditEvent
from confide.services.context import Context
from tests.api.test_chats import finished, new_chat, send, upstream
from tests.api.test_folders import new_folder
from tests.fakes.openai_server import FakeOpenAI

__all__ = ["upstream"]  # a fixture


async def branched_chat(c: httpx.AsyncClient, ctx: Context, fake: FakeOpenAI) -> dict[str, Any]:
    """A chat in a folder inside another, tagged, with two replies to its first question
    (two branches) and a second exchange on the newer one."""
    top = await new_folder(c, "Work")
    inner = await new_folder(c, "Project <X>", top)
    chat_id = await new_chat(c, "Trip <b>plans</b>")
    moved = await c.patch(f"/api/chats/{chat_id}", json={"folder_id": inner})
    assert moved.status_code == 200, moved.text
    tagged = await c.put(f"/api/chats/{chat_id}/tags", json={"tags": ["travel", "Café"]})
    assert tagged.status_code == 200, tagged.text
    fake.script(chunks=["Go to Lisbon."])
    first = await send(c, chat_id, content="Where should I go?")
    await finished(ctx, first)
    fake.script(chunks=["Try Porto."])
    again = await send(c, chat_id, parent_id=first["user_message_id"])
    await finished(ctx, again)
    fake.script(chunks=["In May."])
    await finished(ctx, await send(c, chat_id, content="When?"))
    detail = (await c.get(f"/api/chats/{chat_id}", params={"tree": True})).json()
    return {"id": chat_id, "folder": inner, "detail": detail}


async def download(c: httpx.AsyncClient, path: str, **params: Any) -> httpx.Response:
    response = await c.get(path, params=params)
    assert response.status_code == 200, response.text
    assert response.headers["content-disposition"].startswith("attachment; filename=")
    assert response.headers["cache-control"] == "no-store"
    assert response.headers["x-content-type-options"] == "nosniff"
    return response


async def test_one_chat_as_json_has_every_branch(
    user: httpx.AsyncClient, ctx: Context, upstream: FakeOpenAI
) -> None:
    made = await branched_chat(user, ctx, upstream)
    response = await download(user, f"/api/chats/{made['id']}/export", format="json")
    assert response.headers["content-type"] == "application/json"
    assert response.headers["content-disposition"] == 'attachment; filename="Trip-b-plans-b.json"'
    document = response.json()
    assert document["format"] == "confide.chats" and document["version"] == 1
    assert document["exported_at"].endswith("Z")
    (chat,) = document["chats"]
    assert chat["title"] == "Trip <b>plans</b>"
    assert chat["folder"] == ["Work", "Project <X>"]
    assert chat["tags"] == ["travel", "Café"]
    assert chat["pinned"] is False and chat["archived"] is False
    tree = made["detail"]
    assert chat["current_leaf_id"] == tree["current_leaf_id"]
    assert [m["id"] for m in chat["messages"]] == [m["id"] for m in tree["messages"]]
    contents = [(m["role"], m["content"]) for m in chat["messages"]]
    assert contents == [
        ("user", "Where should I go?"),
        ("assistant", "Go to Lisbon."),
        ("assistant", "Try Porto."),
        ("user", "When?"),
        ("assistant", "In May."),
    ]
    keys = {"id", "parent_id", "role", "content", "model", "status", "finish_reason"}
    assert set(chat["messages"][1]) == {*keys, "created_at"}
    assert chat["messages"][1]["model"] == "fake-small"
    assert chat["messages"][1]["finish_reason"] == "stop"


async def test_one_chat_as_markdown_and_text_is_the_current_branch(
    user: httpx.AsyncClient, ctx: Context, upstream: FakeOpenAI
) -> None:
    made = await branched_chat(user, ctx, upstream)
    md = await download(user, f"/api/chats/{made['id']}/export", format="markdown")
    assert md.headers["content-type"] == "text/markdown; charset=utf-8"
    assert md.headers["content-disposition"].endswith('.md"')
    body = md.text
    assert body.startswith("# Trip \\<b\\>plans\\</b\\>\n")  # the title stays text
    assert "- Folder: Work / Project \\<X\\>" in body and "- Tags: travel, Café" in body
    assert "### You · " in body and "### Assistant (fake-small) · " in body
    assert "Where should I go?" in body and "Try Porto." in body and "In May." in body
    assert "Go to Lisbon." not in body  # the other branch
    assert body.index("Where should I go?") < body.index("Try Porto.") < body.index("In May.")
    text = await download(user, f"/api/chats/{made['id']}/export", format="text")
    assert text.headers["content-type"] == "text/plain; charset=utf-8"
    lines = text.text.splitlines()
    assert lines[0] == "Trip <b>plans</b>" and set(lines[1]) == {"="}
    assert any(line.startswith("[You · ") for line in lines)
    assert any(line.startswith("[Assistant (fake-small) · ") for line in lines)
    assert "Go to Lisbon." not in text.text and "In May." in text.text


async def test_all_chats_as_one_json_file(
    user: httpx.AsyncClient, ctx: Context, upstream: FakeOpenAI
) -> None:
    made = await branched_chat(user, ctx, upstream)
    archived = await new_chat(user, "Old one")
    await user.patch(f"/api/chats/{archived}", json={"archived": True})
    response = await download(user, "/api/chats/export")  # json by default
    assert response.headers["content-type"] == "application/json"
    name = response.headers["content-disposition"]
    assert name.startswith('attachment; filename="confide-chats-') and name.endswith('.json"')
    chats = {c["id"]: c for c in response.json()["chats"]}
    assert set(chats) == {made["id"], archived}
    assert chats[archived]["archived"] is True and chats[archived]["messages"] == []
    assert len(chats[made["id"]]["messages"]) == 5


async def test_all_chats_paged_through(user: httpx.AsyncClient) -> None:
    """More chats than one page of reading: every one, once, in id order."""
    made = [await new_chat(user, f"Chat {n}") for n in range(60)]
    response = await download(user, "/api/chats/export", format="json")
    assert [c["id"] for c in response.json()["chats"]] == sorted(made)


async def test_all_chats_as_markdown_or_text_zip(
    user: httpx.AsyncClient, ctx: Context, upstream: FakeOpenAI
) -> None:
    await branched_chat(user, ctx, upstream)
    for title in ("Same name", "Same name", "SAME NAME", "../../etc/passwd", "CON", "a/b\\c:d"):
        await new_chat(user, title)
    for fmt, ext in (("markdown", "md"), ("text", "txt")):
        response = await download(user, "/api/chats/export", format=fmt)
        assert response.headers["content-type"] == "application/zip"
        assert response.headers["content-disposition"].endswith(f'-{fmt}.zip"')
        archive = zipfile.ZipFile(io.BytesIO(response.content))
        assert archive.testzip() is None
        names = archive.namelist()
        assert len(names) == 7 and len({n.casefold() for n in names}) == 7
        assert all(n.endswith(f".{ext}") and "/" not in n and "\\" not in n for n in names)
        assert all(not n.startswith(".") and ":" not in n for n in names)
        stems = sorted(n[11:] for n in names)  # without the date
        assert f"Same name.{ext}" in stems and f"Same name (2).{ext}" in stems
        assert f"SAME NAME (3).{ext}" in stems
        assert f"_CON.{ext}" in stems and f"a b c d.{ext}" in stems
        trip = next(n for n in names if "Trip" in n)
        assert "In May." in archive.read(trip).decode()


async def test_the_personal_archive(
    user: httpx.AsyncClient, ctx: Context, upstream: FakeOpenAI
) -> None:
    made = await branched_chat(user, ctx, upstream)
    preset = {"name": "Pirate", "base_model": "fake-small", "system_prompt": "Talk like a pirate."}
    created = await user.post("/api/models/presets", json=preset)
    assert created.status_code == 201, created.text
    response = await download(user, "/api/export")
    assert response.headers["content-type"] == "application/zip"
    name = response.headers["content-disposition"]
    assert name.startswith('attachment; filename="confide-export-') and name.endswith('.zip"')
    archive = zipfile.ZipFile(io.BytesIO(response.content))
    assert archive.testzip() is None
    assert sorted(archive.namelist()) == [
        "README.txt",
        "chats.json",
        "presets.json",
        "settings.json",
    ]
    readme = archive.read("README.txt").decode()
    assert "NOT encrypted" in readme and "user@example.com" in readme
    chats = json.loads(archive.read("chats.json"))
    assert chats["format"] == "confide.chats"
    assert [c["id"] for c in chats["chats"]] == [made["id"]]
    (mine,) = json.loads(archive.read("presets.json"))["presets"]
    assert mine["name"] == "Pirate" and mine["system_prompt"] == "Talk like a pirate."
    settings = json.loads(archive.read("settings.json"))
    assert settings["account"]["email"] == "user@example.com"
    assert settings["account"]["name"] == "Uma User"
    assert settings["folders"] == [["Work"], ["Work", "Project <X>"]]
    assert settings["tags"] == ["Café", "travel"]


async def test_exports_are_audited_without_content(
    user: httpx.AsyncClient, ctx: Context, upstream: FakeOpenAI
) -> None:
    made = await branched_chat(user, ctx, upstream)
    await download(user, f"/api/chats/{made['id']}/export", format="markdown")
    await download(user, "/api/chats/export", format="text")
    await download(user, "/api/export")
    async with ctx.db.read() as session:
        rows = (await session.scalars(select(AuditEvent).order_by(AuditEvent.seq))).all()
    events = [(e.action, e.target_id, e.detail) for e in rows if "export" in e.action]
    assert events == [
        ("chats.export", made["id"], {"format": "markdown"}),
        ("chats.export", None, {"format": "text", "scope": "all"}),
        ("account.export", None, {}),
    ]
    assert all("Trip" not in json.dumps(e.detail) for e in rows)


async def test_only_my_own_chats(
    user: httpx.AsyncClient, admin: httpx.AsyncClient, ctx: Context, upstream: FakeOpenAI
) -> None:
    made = await branched_chat(user, ctx, upstream)
    other = await admin.get(f"/api/chats/{made['id']}/export", params={"format": "json"})
    assert other.status_code == 404
    assert other.json() == {"detail": "Chat not found."}
    everything = await download(admin, "/api/chats/export")
    assert everything.json()["chats"] == []
    archive = zipfile.ZipFile(io.BytesIO((await download(admin, "/api/export")).content))
    assert json.loads(archive.read("chats.json"))["chats"] == []
    assert b"Trip" not in archive.read("settings.json")


async def test_bad_format_and_anonymous(user: httpx.AsyncClient, app: Any) -> None:
    chat_id = await new_chat(user, "x")
    bad = await user.get(f"/api/chats/{chat_id}/export", params={"format": "pdf"})
    assert bad.status_code == 422
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://127.0.0.1:8080"
    ) as anon:
        for path in (f"/api/chats/{chat_id}/export", "/api/chats/export", "/api/export"):
            assert (await anon.get(path)).status_code == 401
