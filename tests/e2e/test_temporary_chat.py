"""Temporary chats in a real browser: the conversation lives only in the tab (replies streamed
from `/v1/chat/completions`), nothing reaches the history, the search or the database,
leaving asks first, Stop works, and a reload leaves nothing behind. With screenshots, desktop
and phone.

A module of its own (its own server); each test signs in an account of its own."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import Browser, Dialog, Page, Request, expect

from tests.e2e.conftest import PHONE, Server, Tab, open_tab, screenshot
from tests.e2e.steps import DONE_REPLY, REPLY, make_member, pick_fake_model, send, sign_in_as
from tests.e2e.test_accessibility import assert_accessible

pytestmark = pytest.mark.slow
expect.set_options(timeout=10_000)
CSRF = {"X-Confide-CSRF": "1"}
BANNER = "Temporary chat — not saved. It disappears when you close this tab."


def call(tab: Tab, method: str, path: str) -> Any:
    response = tab.page.request.fetch(f"{tab.server.url}{path}", method=method, headers=CSRF)
    assert response.ok, response.text()
    return response.json()


@pytest.fixture
def member(browser: Browser, server: Server, request: pytest.FixtureRequest) -> Iterator[Tab]:
    """A tab signed in as an account of the test's own: an empty history to start from."""
    name = request.node.name.removeprefix("test_").split("[")[0][:40]
    account = make_member(server, f"{name.replace('_', '-')}@example.com", "Tess Temporary")
    for opened in open_tab(browser, server):
        sign_in_as(opened, account)
        yield opened


def start_temporary(page: Page, *, load: bool = True) -> None:
    if load:
        page.goto("/")
    pick_fake_model(page)
    toggle = page.get_by_role("button", name="Temporary chat")
    toggle.click()
    expect(toggle).to_have_attribute("aria-pressed", "true")
    expect(page.get_by_role("note")).to_have_text(BANNER)


def test_a_temporary_chat_streams_and_stores_nothing(member: Tab) -> None:
    page = member.page
    posted: list[Request] = []
    page.on("request", lambda r: posted.append(r) if r.method == "POST" else None)
    start_temporary(page)

    send(page, "Hello there, temporary")
    expect(page.locator(DONE_REPLY)).to_contain_text("hello there.")
    send(page, "And a second one")
    expect(page.locator(DONE_REPLY)).to_have_count(2)
    expect(page.locator(DONE_REPLY).last).to_contain_text("hello there.")
    expect(page).to_have_url(f"{member.server.url}/")  # no chat page: nothing was made
    assert_accessible(page)

    asked = [r for r in posted if r.url.endswith("/v1/chat/completions")]
    assert len(asked) == 2
    assert not [r for r in posted if "/api/chats" in r.url]
    second = json.loads(asked[1].post_data or "{}")
    assert second["stream"] is True
    assert [m["role"] for m in second["messages"]] == ["user", "assistant", "user"]
    assert second["messages"][1]["content"].endswith("hello there.")

    # Not in the database, the history or the search.
    assert call(member, "GET", "/api/chats")["items"] == []
    assert call(member, "GET", "/api/chats?archived=true")["items"] == []
    assert call(member, "GET", "/api/chats/search?q=temporary")["items"] == []
    expect(page.get_by_text("Your chats will appear here.")).to_be_visible()
    storage = page.evaluate("JSON.stringify([{...localStorage}, {...sessionStorage}])")
    assert "temporary" not in storage.lower(), storage

    # A reload asks first (beforeunload), then the chat is gone.
    page.remove_listener("dialog", member.watch._dialog)
    seen: list[str] = []

    def accept(dialog: Dialog) -> None:
        seen.append(dialog.type)
        dialog.accept()

    page.on("dialog", accept)
    page.reload()
    expect(page.get_by_role("heading", name="What’s on your mind, Tess?")).to_be_visible()
    assert seen == ["beforeunload"], seen
    expect(page.locator(REPLY)).to_have_count(0)
    expect(page.get_by_role("note")).to_have_count(0)
    expect(page.get_by_role("button", name="Temporary chat")).to_have_attribute(
        "aria-pressed", "false"
    )
    assert call(member, "GET", "/api/chats")["items"] == []


def test_stop_and_leaving_ask_before_losing_the_chat(member: Tab) -> None:
    page = member.page
    saved = member.page.request.post(
        f"{member.server.url}/api/chats", data={"title": "A saved chat"}, headers=CSRF
    ).json()["id"]
    page.goto(f"/c/{saved}")
    page.get_by_role("button", name="New chat").first.click()  # in the app: Back returns here
    expect(page).to_have_url(f"{member.server.url}/")
    start_temporary(page, load=False)
    send(page, "Please be slow")
    reply = page.locator(REPLY)
    expect(reply).to_contain_text("word3")
    page.get_by_role("button", name="Stop", exact=True).click()
    expect(reply).to_have_attribute("aria-busy", "false")
    expect(reply).to_contain_text("Stopped")
    words = reply.locator(".markdown").inner_text()
    page.wait_for_timeout(400)
    assert reply.locator(".markdown").inner_text() == words  # nothing more arrives

    # Esc stops too.
    send(page, "slow again")
    expect(reply.last).to_contain_text("word2")
    page.keyboard.press("Escape")
    expect(reply.last).to_contain_text("Stopped")

    # Leaving asks; staying keeps everything.
    page.get_by_role("button", name="New chat", exact=False).first.click()
    dialog = page.get_by_role("dialog", name="Leave this temporary chat?")
    expect(dialog).to_be_visible()
    dialog.get_by_role("button", name="Cancel").click()
    expect(page.locator(REPLY)).to_have_count(2)
    page.get_by_role("link", name="A saved chat").click()  # another chat: asks as well
    expect(dialog).to_be_visible()
    dialog.get_by_role("button", name="Cancel").click()
    expect(page).to_have_url(f"{member.server.url}/")
    expect(page.locator(REPLY)).to_have_count(2)
    page.go_back()  # the browser's Back button asks too, even right after Cancel
    expect(dialog).to_be_visible()
    dialog.get_by_role("button", name="Cancel").click()
    expect(page).to_have_url(f"{member.server.url}/")
    expect(page.locator(REPLY)).to_have_count(2)

    page.get_by_role("button", name="Temporary chat").click()  # switching it off asks too
    dialog.get_by_role("button", name="Leave").click()
    expect(page.locator(REPLY)).to_have_count(0)
    expect(page.get_by_role("note")).to_have_count(0)
    expect(page.get_by_role("heading", name="What’s on your mind, Tess?")).to_be_visible()
    assert [c["id"] for c in call(member, "GET", "/api/chats")["items"]] == [saved]


def test_a_model_error_shows_in_the_reply_with_retry(member: Tab) -> None:
    page = member.page
    start_temporary(page)
    send(page, "this is flaky")
    alert = page.locator(REPLY).get_by_role("alert")
    expect(alert).to_contain_text("upstream")
    alert.get_by_role("button", name="Retry").click()
    expect(page.locator(DONE_REPLY)).to_contain_text("hello there.")
    expect(page.locator(REPLY)).to_have_count(1)


def test_temporary_chat_screenshots(browser: Browser, server: Server) -> None:
    account = make_member(server, "shots-temporary@example.com", "Tess Temporary")
    for scheme in ("light", "dark"):
        for tab in open_tab(browser, server, color_scheme=scheme):
            sign_in_as(tab, account)
            page = tab.page
            start_temporary(page)
            send(page, "How do I sort a list in Python?")
            expect(page.locator(DONE_REPLY)).to_contain_text("Let Python do the rest")
            page.mouse.move(0, 0)
            screenshot(page, f"temporary-chat-desktop-{scheme}")
            if scheme == "light":
                page.set_viewport_size(PHONE)
                page.wait_for_timeout(200)
                screenshot(page, "temporary-chat-phone-light")
            page.get_by_role("button", name="Temporary chat").click()
            page.get_by_role("dialog").get_by_role("button", name="Leave").click()
