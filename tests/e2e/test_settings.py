"""Settings in a real browser: password, sessions, API keys, the default model; editing the
first message; the keyboard (Ctrl+K filter, Ctrl+Shift+O new chat). Each test acts as an
account of its own, so the admin that other tests sign in as is never changed."""

from __future__ import annotations

import re
from collections.abc import Iterator

import httpx
import pytest
from playwright.sync_api import Browser, expect

from tests.conftest import PASSWORD
from tests.e2e.conftest import Server, Tab, open_tab
from tests.e2e.steps import (
    DONE_REPLY,
    REPLY,
    make_member,
    new_chat,
    pick_fake_model,
    send,
    sign_in_as,
)

pytestmark = pytest.mark.slow
expect.set_options(timeout=10_000)
USER_MESSAGE = 'article[aria-label="Your message"]'


def member_tab(browser: Browser, server: Server, email: str, name: str) -> Iterator[Tab]:
    account = make_member(server, email, name)
    for opened in open_tab(browser, server):
        sign_in_as(opened, account)
        yield opened


def test_change_the_password_with_field_errors(browser: Browser, server: Server) -> None:
    for tab in member_tab(browser, server, "pw@example.com", "Paula Word"):
        page = tab.page
        page.goto("/")
        page.get_by_role("button", name=re.compile("Paula Word")).click()
        page.get_by_role("menuitem", name="Settings").click()
        expect(page).to_have_url(re.compile(r"/settings$"))
        expect(page.get_by_role("heading", name="Account", level=1)).to_be_visible()

        page.get_by_label("Current password").fill("not my password")
        page.get_by_label("New password", exact=True).fill("a brand new passphrase 7")
        page.get_by_label("New password, again").fill("a brand new passphrase 7")
        page.get_by_role("button", name="Change password").click()
        expect(page.locator(".field .error")).to_have_text("The current password is wrong.")

        page.get_by_label("Current password").fill(PASSWORD)
        page.get_by_label("New password, again").fill("something else")
        page.get_by_role("button", name="Change password").click()
        expect(page.locator(".field .error")).to_have_text("The two new passwords differ.")

        page.get_by_label("New password, again").fill("a brand new passphrase 7")
        page.get_by_role("button", name="Change password").click()
        expect(page.get_by_role("status")).to_contain_text("Password changed")
        with tab.server.api() as api:
            old = {"email": "pw@example.com", "password": PASSWORD}
            assert api.post("/api/auth/login", json=old).status_code in (400, 401)
            new = {"email": "pw@example.com", "password": "a brand new passphrase 7"}
            assert api.post("/api/auth/login", json=new).status_code == 200

        # The profile name, too.
        page.get_by_label("Name").fill("Paula Newname")
        page.get_by_role("button", name="Save name").click()
        expect(page.get_by_role("status").filter(has_text="Saved.")).to_be_visible()
        page.get_by_role("link", name="Back to chats").click()
        expect(page.get_by_role("button", name=re.compile("Paula Newname"))).to_be_visible()


def test_see_and_revoke_sessions(browser: Browser, server: Server) -> None:
    for tab in member_tab(browser, server, "sessions@example.com", "Sam Sessions"):
        page = tab.page
        elsewhere = [server.api(), server.api()]
        try:
            for client in elsewhere:
                login = {"email": "sessions@example.com", "password": PASSWORD}
                client.post("/api/auth/login", json=login).raise_for_status()
            page.goto("/settings/sessions")
            sessions = page.get_by_role("list", name="Sessions").locator("li")
            expect(sessions).to_have_count(3)
            expect(sessions.first).to_contain_text("This device")
            expect(sessions.first).to_contain_text("Chrome on Linux")
            expect(sessions.nth(1)).to_contain_text("Python")

            sessions.nth(1).get_by_role("button", name=re.compile("^Sign out")).click()
            expect(sessions).to_have_count(2)
            statuses = [c.get("/api/auth/me").status_code for c in elsewhere]
            assert sorted(statuses) == [200, 401], statuses

            page.get_by_role("button", name="Sign out everywhere else").click()
            page.get_by_role("dialog").get_by_role("button", name="Sign out others").click()
            expect(sessions).to_have_count(1)
            expect(page.get_by_role("status")).to_contain_text("Signed out 1 other session")
            assert [c.get("/api/auth/me").status_code for c in elsewhere] == [401, 401]
            page.reload()  # this one is still signed in
            expect(sessions).to_have_count(1)
        finally:
            for client in elsewhere:
                client.close()


def test_create_copy_and_revoke_an_api_key(browser: Browser, server: Server) -> None:
    for tab in member_tab(browser, server, "keys@example.com", "Kim Keys"):
        page = tab.page
        page.goto("/settings/api-keys")
        page.get_by_role("button", name="Create key").click()
        dialog = page.get_by_role("dialog")
        dialog.get_by_role("button", name="Create key").click()
        expect(dialog.locator(".error")).to_contain_text("Give the key a name")
        dialog.get_by_label("Name").fill("laptop scripts")
        dialog.get_by_label("Expires").select_option(label="30 days")
        dialog.get_by_role("button", name="Create key").click()

        shown = page.get_by_role("dialog", name="Your new API key")
        expect(shown).to_contain_text("shown only this once")
        key = shown.get_by_label("New API key").inner_text().strip()
        shown.get_by_role("button", name="Copy").click()
        expect(shown.get_by_role("button", name="Copied")).to_be_visible()
        assert page.evaluate("navigator.clipboard.readText()") == key
        shown.get_by_role("button", name="I have stored it").click()
        expect(page.get_by_role("dialog")).to_have_count(0)
        assert key not in page.content(), "the key is gone from the page once closed"

        row = page.get_by_role("list", name="API keys").locator("li")
        expect(row).to_have_count(1)
        expect(row).to_contain_text("laptop scripts")
        expect(row).to_contain_text("expires")
        assert key.startswith(row.locator("code").inner_text().rstrip("…"))

        bearer = {"authorization": f"Bearer {key}"}
        assert httpx.get(f"{server.url}/v1/models", headers=bearer).status_code == 200
        page.reload()
        expect(row).to_contain_text("last used just now")

        row.get_by_role("button", name="Revoke laptop scripts").click()
        page.get_by_role("dialog").get_by_role("button", name="Revoke").click()
        expect(row).to_have_count(0)
        assert httpx.get(f"{server.url}/v1/models", headers=bearer).status_code == 401


def test_the_default_model_preselects_new_chats(tab: Tab) -> None:
    page = tab.page
    page.goto("/settings/preferences")
    page.get_by_label("Model for new chats").select_option(value="fake-large")
    page.get_by_role("radio", name="Dark").click()
    expect(page.locator("html")).to_have_attribute("data-theme", "dark")
    page.get_by_role("link", name="Back to chats").click()
    picker = page.locator('button[aria-haspopup="listbox"]')
    expect(picker).to_contain_text("fake-large")
    pick_fake_model(page)  # a different model for this chat
    send(page, "Hello default")
    expect(page.locator(DONE_REPLY)).to_be_visible()
    page.keyboard.press("Control+Shift+O")
    expect(page).to_have_url(re.compile(r"/$"))
    expect(picker).to_contain_text("fake-large")
    expect(page.get_by_label("Message", exact=True)).to_be_focused()


def test_edit_the_first_message_starts_a_new_root(tab: Tab) -> None:
    page = tab.page
    new_chat(page, "Very first question")
    expect(page.locator(DONE_REPLY)).to_contain_text(re.compile(r"Answer \d+"))
    original_reply = page.locator(f"{REPLY} .markdown").inner_text()
    first = page.locator(USER_MESSAGE).first
    first.hover()
    first.get_by_role("button", name="Edit message").click()
    editor = page.get_by_label("Edit your message")
    expect(editor).to_be_focused()
    editor.fill("Very first question, rephrased")
    editor.press("Enter")
    expect(page.locator(USER_MESSAGE).first).to_contain_text("rephrased")
    expect(page.locator(USER_MESSAGE).first.get_by_text("2/2")).to_be_visible()
    expect(page.locator(DONE_REPLY)).to_contain_text(re.compile(r"Answer \d+"))
    expect(page.locator(f"{REPLY} .markdown")).not_to_have_text(original_reply)
    page.reload()  # the new start is what the server shows now, and it is the only thread
    expect(page.locator(USER_MESSAGE)).to_have_count(1)
    expect(page.locator(USER_MESSAGE).first).to_contain_text("rephrased")
    first = page.locator(USER_MESSAGE).first
    first.hover()
    first.get_by_role("button", name="Previous version").click()
    expect(page.locator(USER_MESSAGE).first).not_to_contain_text("rephrased")
    expect(page.locator(f"{REPLY} .markdown")).to_have_text(original_reply)


def test_ctrl_k_searches_the_chats(tab: Tab) -> None:
    page = tab.page
    with tab.server.api() as api:
        api.post("/api/auth/login", json={"email": "ada@example.com", "password": PASSWORD})
        ids = {
            title: api.post("/api/chats", json={"title": title}).json()["id"]
            for title in ["Kayak rental Lisbon", "Kettle descaling", "Budget 2027"]
        }
    page.goto("/")
    box = page.get_by_label("Search chats")
    expect(page.locator(f'li[data-chat-id="{ids["Budget 2027"]}"]')).to_be_visible()
    page.get_by_label("Message", exact=True).click()
    page.keyboard.press("Control+k")
    expect(box).to_be_focused()
    box.fill("kayak lis")
    found = page.get_by_role("listbox", name="Chats found").get_by_role("option")
    expect(found).to_have_count(1)
    expect(found).to_contain_text("Kayak rental Lisbon")
    box.fill("nothing like this")
    expect(page.get_by_role("region", name="Search results")).to_contain_text("No chats match")
    box.press("Escape")
    expect(box).to_have_value("")
    expect(page.get_by_label("Message", exact=True)).to_be_focused()
    page.keyboard.press("Control+k")
    box.fill("kettle")
    box.press("Enter")
    expect(page).to_have_url(re.compile(f"/c/{ids['Kettle descaling']}$"))
    expect(page.get_by_label("Message", exact=True)).to_be_focused()
