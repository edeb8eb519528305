"""Every screen says where you are in the tab's title, and every control on it has a name a
screen reader can announce: sign-in, a chat, each settings and admin section."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.e2e.conftest import ADMIN, Server, open_tab
from tests.e2e.steps import DONE_REPLY, new_chat

pytestmark = pytest.mark.slow
expect.set_options(timeout=10_000)

# The roles of buttons and form fields, as the browser's accessibility tree sees them.
CONTROLS = [
    "button",
    "textbox",
    "searchbox",
    "combobox",
    "checkbox",
    "radio",
    "switch",
    "spinbutton",
    "menuitem",
    "menuitemradio",
    "tab",
]
NAMED = re.compile(r"\S")


def assert_accessible(page: Page) -> None:
    """`lang` on <html>, no positive tabindex, and an accessible name on every control shown."""
    assert page.locator("html").get_attribute("lang") == "en"
    positive = page.locator("[tabindex]").evaluate_all(
        "elements => elements.filter((element) => element.tabIndex > 0).map((e) => e.outerHTML)"
    )
    assert positive == []
    seen = 0
    for role in CONTROLS:
        for control in page.get_by_role(role).all():
            expect(control).to_have_accessible_name(NAMED)
            seen += 1
    assert seen > 0, "no controls found: is the page there?"


def test_titles_and_names_on_every_screen(browser: Browser, server: Server) -> None:
    for tab in open_tab(browser, server):
        page = tab.page
        page.goto("/")
        expect(page).to_have_url(re.compile(r"/login$"))
        expect(page).to_have_title("Sign in · Confide")
        assert_accessible(page)

        page.get_by_label("Email").fill(ADMIN["email"])
        page.get_by_label("Password").fill(ADMIN["password"])
        page.get_by_role("button", name="Sign in").click()
        expect(page).to_have_title("New chat · Confide")

        # The chat's title is written after the first reply; the tab follows it, and a rename.
        new_chat(page, "Tab titles")
        expect(page.locator(DONE_REPLY)).to_be_visible()
        expect(page).to_have_title("About Tab titles · Confide")
        assert_accessible(page)
        chat_id = page.url.rsplit("/", 1)[-1]
        item = page.locator(f'li[data-chat-id="{chat_id}"]')
        item.hover()
        item.get_by_role("button", name="Chat actions").click()
        assert_accessible(page)  # with the chat's menu open
        page.get_by_role("menuitem", name="Rename").click()
        page.get_by_label("Chat title").fill("Named tabs")
        page.get_by_label("Chat title").press("Enter")
        expect(page).to_have_title("Named tabs · Confide")

        page.get_by_role("button", name=re.compile("Ada Lovelace")).click()
        assert_accessible(page)  # with the account menu open
        page.get_by_role("menuitem", name="Settings").click()
        for path, section in [
            ("/settings", "Account"),
            ("/settings/preferences", "Preferences"),
            ("/settings/sessions", "Sessions"),
            ("/settings/api-keys", "API keys"),
            ("/settings/data", "Data"),
        ]:
            page.goto(path)
            expect(page).to_have_title(f"Settings · {section} · Confide")
            expect(page.get_by_role("heading", level=1)).to_be_visible()
            assert_accessible(page)

        for path, section in [
            ("/admin", "Users"),
            ("/admin/connections", "Connections"),
            ("/admin/presets", "Presets"),
            ("/admin/instance", "Instance settings"),
            ("/admin/audit", "Audit log"),
        ]:
            page.goto(path)
            expect(page).to_have_title(f"Admin · {section} · Confide")
            expect(page.get_by_role("heading", level=1)).to_be_visible()
            if path == "/admin/instance":  # its controls arrive with the settings
                expect(page.get_by_role("radio").first).to_be_visible()
            assert_accessible(page)
