"""Share links: a read-only snapshot of a chat's current branch behind a link; members of the
instance open it, visitors only when it is public and the admin allows public links; the owner
lists and revokes; nothing of the snapshot or the link is stored readable."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from confide.app import create_app
from confide.db.tables import Share
from confide.services import shares
from confide.services.context import Context
from confide.settings import Settings
from tests.api.test_chats import MODEL, finished, new_chat, send, upstream
from tests.conftest import BASE_URL, make_settings, new_client, signup
from tests.fakes.openai_server import FakeOpenAI

__all__ = ["upstream"]
NOT_FOUND = "This shared chat does not exist or its link was revoked."


@pytest.fixture
async def other(app: Any, admin: httpx.AsyncClient) -> AsyncIterator[httpx.AsyncClient]:
    """A second approved member (Bob), besides `user`."""
    async with new_client(app) as c:
        c.user = await signup(c, "bob@example.com", name="Bob")  # type: ignore[attr-defined]
        approved = await admin.post(f"/api/users/{c.user['id']}/approve")  # type: ignore[attr-defined]
        assert approved.status_code == 200, approved.text
        yield c


@pytest.fixture
async def anon(app: Any) -> AsyncIterator[httpx.AsyncClient]:
    async with new_client(app) as c:
        yield c


async def talked(c: httpx.AsyncClient, ctx: Context, fake: FakeOpenAI, title: str) -> str:
    """A chat with one finished exchange: "What is a quokka?" and its answer."""
    chat_id = await new_chat(c, title)
    fake.script(chunks=["A small wallaby."])
    await finished(ctx, await send(c, chat_id, content="What is a quokka?"))
    return chat_id


async def share(c: httpx.AsyncClient, chat_id: str, **body: Any) -> dict[str, Any]:
    response = await c.post(f"/api/chats/{chat_id}/shares", json=body)
    assert response.status_code == 201, response.text
    data: dict[str, Any] = response.json()
    return data


async def shown(c: httpx.AsyncClient, token: str) -> dict[str, Any]:
    response = await c.get(f"/api/shared/{token}")
    assert response.status_code == 200, response.text
    data: dict[str, Any] = response.json()
    return data


def said(view: dict[str, Any]) -> list[tuple[str, str]]:
    return [(m["role"], m["content"]) for m in view["messages"]]


async def allow_public(admin: httpx.AsyncClient, allowed: bool) -> None:
    response = await admin.patch("/api/settings", json={"public_shares": allowed})
    assert response.status_code == 200, response.text
    assert response.json()["public_shares"] is allowed


# --- making, listing, revoking -----------------------------------------------------------------


async def test_share_list_and_revoke(
    ctx: Context, user: httpx.AsyncClient, other: httpx.AsyncClient, upstream: FakeOpenAI
) -> None:
    chat_id = await talked(user, ctx, upstream, "Quokkas")
    made = await share(user, chat_id)
    assert set(made) == {
        "id",
        "chat_id",
        "title",
        "url",
        "token",
        "public",
        "message_count",
        "created_at",
    }
    assert (made["chat_id"], made["title"], made["public"]) == (chat_id, "Quokkas", False)
    assert made["message_count"] == 2
    assert len(made["token"]) == 43 and "=" not in made["token"]
    assert made["url"] == f"{BASE_URL}/s/{made['token']}"

    view = await shown(other, made["token"])
    assert view["title"] == "Quokkas" and view["public"] is False
    assert said(view) == [("user", "What is a quokka?"), ("assistant", "A small wallaby.")]
    assert view["messages"][1]["model"] == MODEL
    assert view["messages"][0]["model"] is None
    assert set(view["messages"][0]) == {"role", "content", "model", "created_at"}

    second = await share(user, chat_id, public=False)
    assert second["token"] != made["token"]
    listed = (await user.get("/api/shares")).json()
    assert [s["id"] for s in listed] == [second["id"], made["id"]]  # newest first
    assert listed[1] == made  # the owner gets the same link again
    assert (await user.get(f"/api/chats/{chat_id}/shares")).json() == listed

    revoked = await user.delete(f"/api/shares/{made['id']}")
    assert revoked.status_code == 204
    gone = await other.get(f"/api/shared/{made['token']}")
    assert gone.status_code == 404 and gone.json()["detail"] == NOT_FOUND
    assert [s["id"] for s in (await user.get("/api/shares")).json()] == [second["id"]]
    assert (await user.delete(f"/api/shares/{made['id']}")).status_code == 404


async def test_the_list_shows_the_chats_current_title(
    ctx: Context, user: httpx.AsyncClient, other: httpx.AsyncClient, upstream: FakeOpenAI
) -> None:
    chat_id = await talked(user, ctx, upstream, "Old title")
    made = await share(user, chat_id)
    await user.patch(f"/api/chats/{chat_id}", json={"title": "New title"})
    assert (await user.get("/api/shares")).json()[0]["title"] == "New title"
    assert (await shown(other, made["token"]))["title"] == "Old title"  # the snapshot's


async def test_the_link_uses_the_request_address_without_a_public_url(
    tmp_path: Any, database_url: str, ctx: Context, user: httpx.AsyncClient, upstream: FakeOpenAI
) -> None:
    chat_id = await talked(user, ctx, upstream, "Quokkas")
    plain = Settings(data_dir=tmp_path / "data", database_url=database_url)  # no public URL
    app = create_app(plain, type(ctx)(**{**ctx.__dict__, "settings": plain}))
    transport = httpx.ASGITransport(app=app)
    session = user.cookies["confide_session"]
    headers = {"x-confide-csrf": "1", "cookie": f"confide_session={session}"}
    async with httpx.AsyncClient(
        transport=transport, base_url="http://chat.example.org", headers=headers
    ) as c:
        made = await share(c, chat_id)
    assert made["url"] == f"http://chat.example.org/s/{made['token']}"


# --- what a snapshot holds ---------------------------------------------------------------------


async def test_a_snapshot_never_shows_later_messages_or_other_branches(
    ctx: Context, user: httpx.AsyncClient, other: httpx.AsyncClient, upstream: FakeOpenAI
) -> None:
    chat_id = await new_chat(user, "Branches")
    upstream.script(chunks=["first answer"])
    first = await send(user, chat_id, content="question")
    await finished(ctx, first)
    upstream.script(chunks=["second answer"])
    regen = await send(user, chat_id, parent_id=first["user_message_id"])
    await finished(ctx, regen)
    made = await share(user, chat_id)  # the current branch: the second answer
    expected = [("user", "question"), ("assistant", "second answer")]
    assert said(await shown(other, made["token"])) == expected

    upstream.script(chunks=["a later answer"])
    await finished(ctx, await send(user, chat_id, content="a later question"))
    switched = await user.patch(
        f"/api/chats/{chat_id}", json={"current_leaf_id": first["assistant_message_ids"][0]}
    )
    assert switched.status_code == 200
    view = await shown(other, made["token"])
    assert said(view) == expected
    assert "first answer" not in str(view) and "later" not in str(view)
    assert made["message_count"] == 2


async def test_a_reply_still_being_written_is_left_out(
    ctx: Context, user: httpx.AsyncClient, other: httpx.AsyncClient, upstream: FakeOpenAI
) -> None:
    chat_id = await talked(user, ctx, upstream, "Live")
    upstream.script(chunks=["still typing", "never"], delay=3600)
    live = await send(user, chat_id, content="and then?")
    made = await share(user, chat_id)
    ctx.runner.stop(live["assistant_message_ids"][0])
    await finished(ctx, live)
    view = await shown(other, made["token"])
    assert said(view)[-1] == ("user", "and then?")
    assert made["message_count"] == 3


async def test_a_chat_without_messages_cannot_be_shared(user: httpx.AsyncClient) -> None:
    chat_id = await new_chat(user, "Empty")
    response = await user.post(f"/api/chats/{chat_id}/shares", json={})
    assert response.status_code == 400
    assert response.json()["detail"] == "This chat has no messages to share yet."


# --- who may open a link -----------------------------------------------------------------------


async def test_visitors_need_a_public_link_that_the_instance_allows(
    ctx: Context,
    admin: httpx.AsyncClient,
    user: httpx.AsyncClient,
    anon: httpx.AsyncClient,
    upstream: FakeOpenAI,
) -> None:
    chat_id = await talked(user, ctx, upstream, "Public?")
    members_only = await share(user, chat_id)
    refused = await anon.get(f"/api/shared/{members_only['token']}")
    assert refused.status_code == 401
    assert "Sign in" in refused.json()["detail"]

    off = await user.post(f"/api/chats/{chat_id}/shares", json={"public": True})
    assert off.status_code == 403
    assert off.json()["detail"] == (
        "Public links are turned off on this instance; ask an administrator."
    )
    assert (await user.get("/api/shares/options")).json() == {"public_allowed": False}

    await allow_public(admin, True)
    assert (await user.get("/api/shares/options")).json() == {"public_allowed": True}
    public = await share(user, chat_id, public=True)
    assert public["public"] is True
    view = await shown(anon, public["token"])
    assert view["public"] is True and said(view)[0] == ("user", "What is a quokka?")
    assert (await anon.get(f"/api/shared/{members_only['token']}")).status_code == 401

    await allow_public(admin, False)  # applies at once to links already given out
    later = await anon.get(f"/api/shared/{public['token']}")
    assert later.status_code == 401
    assert (await shown(user, public["token"]))["public"] is False  # members still see it


async def test_a_pending_account_is_told_to_wait(
    ctx: Context, app: Any, user: httpx.AsyncClient, upstream: FakeOpenAI
) -> None:
    made = await share(user, await talked(user, ctx, upstream, "Hi"))
    async with new_client(app) as pending:
        await signup(pending, "pending@example.com")
        response = await pending.get(f"/api/shared/{made['token']}")
    assert response.status_code == 403
    assert "approval" in response.json()["detail"]


async def test_links_of_a_disabled_account_stop_opening(
    ctx: Context,
    admin: httpx.AsyncClient,
    user: httpx.AsyncClient,
    other: httpx.AsyncClient,
    upstream: FakeOpenAI,
) -> None:
    made = await share(user, await talked(user, ctx, upstream, "Hi"))
    owner = user.user["id"]  # type: ignore[attr-defined]
    assert (await admin.patch(f"/api/users/{owner}", json={"disabled": True})).status_code == 200
    assert (await other.get(f"/api/shared/{made['token']}")).status_code == 404
    assert (await admin.patch(f"/api/users/{owner}", json={"disabled": False})).status_code == 200
    assert (await other.get(f"/api/shared/{made['token']}")).status_code == 200


async def test_answers_are_never_cached_and_send_no_referrer(
    ctx: Context, user: httpx.AsyncClient, anon: httpx.AsyncClient, upstream: FakeOpenAI
) -> None:
    made = await share(user, await talked(user, ctx, upstream, "Hi"))
    for response in (
        await user.get(f"/api/shared/{made['token']}"),
        await anon.get(f"/api/shared/{made['token']}"),
        await user.get("/api/shares"),
    ):
        assert response.headers["cache-control"] == "no-store"
        assert response.headers["referrer-policy"] == "no-referrer"
    page = await anon.get(f"/s/{made['token']}")
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert page.headers["referrer-policy"] == "no-referrer"
    assert made["token"] not in page.text


# --- another member ------------------------------------------------------------------------------


async def test_another_member_opens_the_link_but_nothing_else(
    ctx: Context, user: httpx.AsyncClient, other: httpx.AsyncClient, upstream: FakeOpenAI
) -> None:
    chat_id = await talked(user, ctx, upstream, "Alice's")
    made = await share(user, chat_id)
    refused = [
        await other.post(f"/api/chats/{chat_id}/shares", json={}),
        await other.get(f"/api/chats/{chat_id}/shares"),
        await other.delete(f"/api/shares/{made['id']}"),
    ]
    assert [r.status_code for r in refused] == [404, 404, 404]
    assert (await other.get("/api/shares")).json() == []
    assert (await shown(other, made["token"]))["title"] == "Alice's"
    assert (await other.get(f"/api/shared/{made['id']}")).status_code == 404  # the id is no link
    assert [s["id"] for s in (await user.get("/api/shares")).json()] == [made["id"]]


# --- deleting ----------------------------------------------------------------------------------


async def _share_rows(ctx: Context) -> int:
    async with ctx.db.read() as session:
        return int(await session.scalar(select(func.count()).select_from(Share)) or 0)


@pytest.mark.parametrize("how", ["one", "bulk", "all"])
async def test_deleting_the_chat_deletes_its_shares(
    ctx: Context,
    user: httpx.AsyncClient,
    other: httpx.AsyncClient,
    upstream: FakeOpenAI,
    how: str,
) -> None:
    chat_id = await talked(user, ctx, upstream, "Doomed")
    made = await share(user, chat_id)
    if how == "one":
        deleted = await user.delete(f"/api/chats/{chat_id}")
    elif how == "bulk":
        deleted = await user.post(
            "/api/chats/bulk", json={"chat_ids": [chat_id], "action": "delete"}
        )
    else:
        deleted = await user.delete("/api/chats", params={"confirm": "true"})
    assert deleted.status_code in (200, 204), deleted.text
    assert (await other.get(f"/api/shared/{made['token']}")).status_code == 404
    assert (await user.get("/api/shares")).json() == []
    assert await _share_rows(ctx) == 0


async def test_deleting_the_account_deletes_its_shares(
    ctx: Context, admin: httpx.AsyncClient, user: httpx.AsyncClient, upstream: FakeOpenAI
) -> None:
    made = await share(user, await talked(user, ctx, upstream, "Doomed"))
    assert (await admin.delete(f"/api/users/{user.user['id']}")).status_code == 204  # type: ignore[attr-defined]
    assert (await admin.get(f"/api/shared/{made['token']}")).status_code == 404
    assert await _share_rows(ctx) == 0


# --- limits and bad input ----------------------------------------------------------------------


async def test_at_most_so_many_shares(
    ctx: Context, user: httpx.AsyncClient, upstream: FakeOpenAI, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(shares, "MAX_SHARES", 2)
    chat_id = await talked(user, ctx, upstream, "Many")
    await share(user, chat_id)
    await share(user, chat_id)
    refused = await user.post(f"/api/chats/{chat_id}/shares", json={})
    assert refused.status_code == 409
    assert "the most there can be" in refused.json()["detail"]


@pytest.mark.parametrize(
    "body",
    [{"public": "yes"}, {"public": 1}, {"public": "true"}, {"public": None}, {"title": "x"}, []],
    ids=["a word", "a number", "a boolean as text", "null", "an unknown field", "not an object"],
)
async def test_bad_bodies_are_refused(
    ctx: Context, user: httpx.AsyncClient, upstream: FakeOpenAI, body: Any
) -> None:
    chat_id = await talked(user, ctx, upstream, "Hi")
    response = await user.post(f"/api/chats/{chat_id}/shares", json=body)
    assert response.status_code == 422, response.text
    assert response.json()["detail"]
    assert (await user.get("/api/shares")).json() == []


@pytest.mark.parametrize(
    "token",
    [
        "x",
        "A" * 42,
        "A" * 44,
        "A" * 42 + "B",  # 43 characters, but not how 32 bytes are written
        "A" * 42 + "=",
        "A" * 42 + "+",
        "%F0%9F%92%A9" * 3,
        "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",  # well formed, never given out
    ],
)
async def test_links_that_are_not_links_are_not_found(
    user: httpx.AsyncClient, anon: httpx.AsyncClient, token: str
) -> None:
    for c in (user, anon):
        response = await c.get(f"/api/shared/{token}")
        assert response.status_code == 404, response.text
        assert response.json()["detail"] == NOT_FOUND


async def test_an_overlong_link_is_refused(user: httpx.AsyncClient) -> None:
    response = await user.get("/api/shared/" + "A" * 10_000)
    assert response.status_code == 422
    assert "token" in response.text


async def test_another_users_or_a_missing_chat_is_not_found(
    user: httpx.AsyncClient, other: httpx.AsyncClient
) -> None:
    chat_id = await new_chat(other, "Bob's")
    for path in (f"/api/chats/{chat_id}/shares", "/api/chats/0000000000000000000000000a/shares"):
        assert (await user.post(path, json={})).status_code == 404
        assert (await user.get(path)).status_code == 404


# --- settings and audit ------------------------------------------------------------------------


async def test_the_environment_fixes_the_public_setting(
    tmp_path: Any, database_url: str, ctx: Context, admin: httpx.AsyncClient
) -> None:
    locked = make_settings(tmp_path, database_url, public_shares=True)
    app = create_app(locked, type(ctx)(**{**ctx.__dict__, "settings": locked}))
    async with new_client(app, cookies=admin.cookies) as a:
        view = (await a.get("/api/settings")).json()
        assert (view["public_shares"], view["public_shares_locked"]) == (True, True)
        refused = await a.patch("/api/settings", json={"public_shares": False})
        assert refused.status_code == 409
        assert "CONFIDE_PUBLIC_SHARES" in refused.json()["detail"]


async def test_the_public_setting_refuses_non_booleans(admin: httpx.AsyncClient) -> None:
    for value in ("yes", 1, None):
        response = await admin.patch("/api/settings", json={"public_shares": value})
        assert response.status_code == 422, value
    assert (await admin.get("/api/settings")).json()["public_shares"] is False


async def test_sharing_is_audited_without_content(
    ctx: Context, admin: httpx.AsyncClient, user: httpx.AsyncClient, upstream: FakeOpenAI
) -> None:
    await allow_public(admin, True)
    chat_id = await talked(user, ctx, upstream, "Secret plans")
    made = await share(user, chat_id, public=True)
    await user.delete(f"/api/shares/{made['id']}")
    events = (await admin.get("/api/audit", params={"limit": 200})).json()["items"]
    by_action = {e["action"]: e for e in events}
    assert by_action["admin.public_shares"]["detail"] == {"allowed": True}
    created, revoked = by_action["share.create"], by_action["share.revoke"]
    assert (created["target_type"], created["target_id"]) == ("share", made["id"])
    assert created["detail"] == {"chat_id": chat_id, "public": True}
    assert revoked["target_id"] == made["id"]
    everything = str(events)
    for secret in (made["token"], "Secret plans", "quokka", "wallaby"):
        assert secret not in everything
