"""Share links in a real browser: a member shares a chat from its menu, another member opens
the link (rendered like the chat, markdown and all) and sees only the snapshot; the owner
revokes it and the link shows nothing. A visitor who is not signed in is asked to sign in
and comes back to the chat; with public links allowed by an admin, a visitor sees it at
once. With screenshots of the share dialog and the shared view, desktop and phone.

A module of its own (its own server), so the instance settings changed here stay here."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Browser, Locator, Page, expect

from tests.conftest import PASSWORD
from tests.e2e.conftest import ADMIN, PHONE, Server, Tab, open_tab, screenshot
from tests.e2e.steps import DONE_REPLY, make_member, new_chat, send, sign_in_as

pytestmark = pytest.mark.slow
expect.set_options(timeout=10_000)
CSRF = {"X-Confide-CSRF": "1"}
SNAPSHOT_NOTE = "a snapshot of this conversation as it is now; later messages are not shared"
GONE = "This link was revoked or never existed"


def chat_menu(page: Page, chat_id: str, action: str) -> None:
    row = page.locator(f'nav[aria-label="Chat history"] li[data-chat-id="{chat_id}"]')
    row.hover()
    row.get_by_role("button", name="Chat actions").click()
    page.get_by_role("menuitem", name=action).click()


def share_dialog(page: Page) -> Locator:
    return page.get_by_role("dialog", name=re.compile("^Share "))


def start_chat(page: Page, text: str, title: str) -> str:
    """A chat with one exchange, its title given by the fake model; its id."""
    new_chat(page, text)
    expect(page.locator(DONE_REPLY)).to_have_count(1)
    expect(page.locator('a[aria-current="page"]')).to_have_text(title)
    return page.url.rsplit("/", 1)[-1]


def create_link(page: Page) -> str:
    dialog = share_dialog(page)
    dialog.get_by_role("button", name=re.compile("^Create")).click()
    box = dialog.get_by_role("textbox", name=re.compile("Your new link"))
    expect(box).to_have_value(re.compile(r"/s/"))
    return box.input_value()


def test_share_open_as_another_member_then_revoke(browser: Browser, server: Server) -> None:
    owner_account = make_member(server, "sam-sharer@example.com", "Sam Sharer")
    reader_account = make_member(server, "rita-reader@example.com", "Rita Reader")
    for owner in open_tab(browser, server):
        sign_in_as(owner, owner_account)
        page = owner.page
        chat_id = start_chat(page, "How do I sort a list in Python?", "Sorting lists in Python")

        chat_menu(page, chat_id, "Share…")
        dialog = share_dialog(page)
        expect(dialog).to_contain_text(SNAPSHOT_NOTE)
        expect(dialog.get_by_text("None yet.")).to_be_visible()
        # Public links are off on a new instance: offered, but not available.
        anyone = dialog.get_by_label("Anyone with the link (not only signed-in users)")
        expect(anyone).to_be_disabled()
        expect(dialog).to_contain_text("Only people signed in here can open your links")
        link = create_link(page)
        assert re.fullmatch(rf"{re.escape(server.url)}/s/[A-Za-z0-9_-]{{43}}", link), link
        dialog.get_by_role("button", name="Copy the new link").click()
        assert page.evaluate("navigator.clipboard.readText()") == link
        listed = dialog.get_by_role("list", name="Links to this chat").locator("li")
        expect(listed).to_have_count(1)
        expect(listed).to_contain_text("Signed-in users")
        expect(listed).to_contain_text("messages")
        page.mouse.move(0, 0)
        screenshot(page, "share-dialog-desktop-light")
        dialog.get_by_role("button", name="Done").click()
        expect(dialog).to_have_count(0)

        # The owner goes on chatting: the link keeps showing the chat as it was.
        send(page, "One more thing, after sharing")
        expect(page.locator(DONE_REPLY)).to_have_count(2)

        for reader in open_tab(browser, server):
            sign_in_as(reader, reader_account)
            view = reader.page
            view.goto(link)
            expect(view.get_by_role("heading", level=1)).to_have_text("Sorting lists in Python")
            expect(view.get_by_role("note")).to_contain_text("Shared snapshot")
            reply = view.locator('article[aria-label="Reply"]')
            expect(reply).to_have_count(1)
            expect(reply.locator("h2")).to_have_text("Sorting in Python")  # markdown, rendered
            expect(reply.locator("table")).to_have_count(1)
            expect(reply.locator("math")).to_have_count(2)  # KaTeX, as in the chat
            expect(view.locator("main")).not_to_contain_text("after sharing")
            expect(view).to_have_title("Sorting lists in Python · Confide")
            expect(view.get_by_role("link", name="Back to chats")).to_be_visible()
            screenshot(view, "shared-view-desktop-light")
            view.set_viewport_size(PHONE)
            view.reload()
            expect(reply.locator("table")).to_have_count(1)
            expect(reply.locator("math")).to_have_count(2)
            screenshot(view, "shared-view-phone-light")

            chat_menu(page, chat_id, "Share…")
            listed.get_by_role("button", name="Revoke").click()
            confirm = page.get_by_role("dialog", name="Revoke this link?")
            confirm.get_by_role("button", name="Revoke").click()
            expect(confirm).to_have_count(0)
            expect(dialog.get_by_text("None yet.")).to_be_visible()

            view.reload()
            expect(view.get_by_role("heading", name=GONE)).to_be_visible()
            expect(view.locator("article")).to_have_count(0)

        # The share dialog on a phone.
        page.set_viewport_size(PHONE)
        page.keyboard.press("Escape")
        expect(dialog).to_have_count(0)
        page.reload()
        page.get_by_role("button", name="Open the sidebar").click()
        page.wait_for_timeout(300)  # the sidebar slides in
        chat_menu(page, chat_id, "Share…")
        create_link(page)
        screenshot(page, "share-dialog-phone-light")


def owner_with_chat(tab: Tab, email: str, text: str, title: str) -> str:
    sign_in_as(tab, make_member(tab.server, email, "Owen Owner"))
    return start_chat(tab.page, text, title)


def test_a_visitor_signs_in_and_comes_back_to_the_chat(browser: Browser, server: Server) -> None:
    reader_account = make_member(server, "vic-visitor@example.com", "Vic Visitor")
    for owner in open_tab(browser, server):
        chat_id = owner_with_chat(
            owner, "owen@example.com", "hello for a visitor", "About hello for a"
        )
        made = owner.page.request.post(
            f"{server.url}/api/chats/{chat_id}/shares", data={"public": False}, headers=CSRF
        )
        assert made.status == 201, made.text()
        link = made.json()["url"]

    for visitor in open_tab(browser, server):
        page = visitor.page
        page.goto(link)
        expect(page.get_by_role("heading", name="Sign in to see this shared chat")).to_be_visible()
        expect(page.locator("article")).to_have_count(0)
        screenshot(page, "shared-sign-in-desktop-light")
        page.get_by_role("link", name="Sign in").click()
        expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
        page.get_by_label("Email").fill(reader_account["email"])
        page.get_by_label("Password").fill(reader_account["password"])
        page.get_by_role("button", name="Sign in").click()
        expect(page).to_have_url(link)
        expect(page.get_by_role("heading", level=1)).to_have_text("About hello for a")
        expect(page.locator('article[aria-label="Message"]')).to_have_text("hello for a visitor")

        page.goto("/s/" + "A" * 43)  # well-formed, never given out
        expect(page.get_by_role("heading", name=GONE)).to_be_visible()

        # The owner revokes it from Settings → Shared links: the visitor's page goes blank.
        for owner in open_tab(browser, server):
            sign_in_as(owner, {"email": "owen@example.com", "password": PASSWORD})
            mine = owner.page
            mine.goto("/settings/shares")
            expect(mine).to_have_title("Settings · Shared links · Confide")
            listed = mine.get_by_role("list", name="Shared links").locator("li")
            expect(listed).to_have_count(1)
            expect(listed).to_contain_text("About hello for a")
            expect(listed).to_contain_text("Signed-in users")
            expect(
                listed.get_by_role("button", name="Copy the link to About hello for a")
            ).to_be_visible()
            screenshot(mine, "settings-shared-links-desktop-light")
            listed.get_by_role("button", name="Revoke").click()
            mine.get_by_role("dialog", name="Revoke this link?").get_by_role(
                "button", name="Revoke"
            ).click()
            expect(mine.get_by_role("status")).to_contain_text("Revoked the link")
            expect(listed).to_have_count(0)
            expect(mine.get_by_text("You have not shared any chat.")).to_be_visible()
        page.goto(link)
        expect(page.get_by_role("heading", name=GONE)).to_be_visible()


def set_public_links(tab: Tab, allowed: bool) -> None:
    page = tab.page
    page.goto("/admin/instance")
    box = page.get_by_label("Allow public share links")
    expect(box).to_be_enabled()
    if box.is_checked() != allowed:
        box.click()
        expect(page.get_by_role("status")).to_have_text("Saved.")
    expect(box).to_be_checked(checked=allowed)


def test_public_links_open_for_anyone_while_the_admin_allows_them(
    browser: Browser, server: Server
) -> None:
    for admin in open_tab(browser, server):
        sign_in_as(admin, {"email": ADMIN["email"], "password": ADMIN["password"]})
        set_public_links(admin, True)
        screenshot(admin.page, "admin-sharing-desktop-light")
        try:
            for owner in open_tab(browser, server):
                chat_id = owner_with_chat(
                    owner,
                    "petra-public@example.com",
                    "hello for everyone",
                    "About hello for everyone",
                )
                page = owner.page
                chat_menu(page, chat_id, "Share…")
                dialog = share_dialog(page)
                anyone = dialog.get_by_label("Anyone with the link (not only signed-in users)")
                expect(anyone).to_be_enabled()
                anyone.check()
                expect(dialog).to_contain_text("without an account")
                link = create_link(page)
                listed = dialog.get_by_role("list", name="Links to this chat").locator("li")
                expect(listed).to_contain_text("Anyone with the link")

            for visitor in open_tab(browser, server):
                view = visitor.page
                view.goto(link)
                expect(view.get_by_role("heading", level=1)).to_have_text(
                    "About hello for everyone"
                )
                expect(view.get_by_role("note")).to_contain_text("Shared snapshot")
                expect(view.get_by_role("link", name="Sign in")).to_be_visible()
                # The admin turns public links off: the same link now needs an account.
                set_public_links(admin, False)
                view.reload()
                expect(
                    view.get_by_role("heading", name="Sign in to see this shared chat")
                ).to_be_visible()
        finally:
            set_public_links(admin, False)
