"""Screenshots of the main screens, light and dark, desktop and phone (see `SCREENSHOTS`).

A module of its own, so its server holds only the chats shown here. The pages are watched
like every other (no dialog, no foreign request, no CSP violation)."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.conftest import PASSWORD
from tests.e2e.conftest import PHONE, Server, Tab, open_tab, screenshot
from tests.e2e.steps import DONE_REPLY, REPLY, make_member, new_chat, sign_in_as

pytestmark = pytest.mark.slow
expect.set_options(timeout=10_000)

HISTORY = ["Sourdough starter schedule", "Fix the flaky CI job", "Quarterly report outline"]


@pytest.fixture(scope="module")
def furnished(server: Server) -> Server:
    """A few chats in the sidebar, one of them pinned, so the pictures look lived in."""
    with server.api() as api:
        api.post("/api/auth/login", json={"email": "ada@example.com", "password": PASSWORD})
        for title in HISTORY:
            api.post("/api/chats", json={"title": title}).raise_for_status()
        pinned = api.post("/api/chats", json={"title": "Trip to Lisbon"}).json()
        api.patch(f"/api/chats/{pinned['id']}", json={"pinned": True}).raise_for_status()
    return server


def sign_in(page: Page) -> None:
    page.get_by_label("Email").fill("ada@example.com")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name=re.compile("on your mind, Ada"))).to_be_visible()


def shoot(tab: Tab, scheme: str) -> None:
    page = tab.page
    page.goto("/login")
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    screenshot(page, f"sign-in-{scheme}")
    sign_in(page)
    screenshot(page, f"new-chat-desktop-{scheme}")

    expect(page.get_by_role("link", name="Trip to Lisbon")).to_be_visible()  # list loaded
    earlier = page.get_by_role("link", name="Sorting lists in Python")
    if earlier.count():  # the other colour scheme's run already asked
        earlier.click()
        expect(page.locator('button[aria-haspopup="listbox"]')).to_contain_text("fake-small")
    else:
        new_chat(page, "How do I sort a list in Python?")
    expect(page.locator(DONE_REPLY)).to_contain_text("Let Python do the rest")
    expect(page.locator(f"{REPLY} math")).to_have_count(2)  # KaTeX arrived on demand
    expect(page.locator('a[aria-current="page"]')).to_have_text("Sorting lists in Python")
    page.mouse.move(0, 0)
    screenshot(page, f"chat-desktop-{scheme}")
    page.locator(REPLY).get_by_role("button", name="Copy code").click()
    assert page.evaluate("navigator.clipboard.readText()").startswith("names = [")

    page.set_viewport_size(PHONE)
    page.reload()
    expect(page.locator(DONE_REPLY)).to_contain_text("Let Python do the rest")
    screenshot(page, f"chat-phone-{scheme}")
    page.get_by_role("button", name="Open the sidebar").click()
    sidebar = page.get_by_role("complementary", name="Chats")
    expect(sidebar.get_by_role("button", name="New chat")).to_be_in_viewport()
    page.wait_for_timeout(300)  # the sidebar slides in
    screenshot(page, f"sidebar-phone-{scheme}")


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_screenshots(browser: Browser, furnished: Server, scheme: str) -> None:
    for opened in open_tab(browser, furnished, color_scheme=scheme):
        shoot(opened, scheme)


def shoot_settings_and_admin(tab: Tab, scheme: str) -> None:
    page = tab.page
    sign_in_as(tab, {"email": "ada@example.com", "password": PASSWORD})
    page.goto("/settings")
    expect(page.get_by_role("heading", name="Account", level=1)).to_be_visible()
    screenshot(page, f"settings-desktop-{scheme}")
    page.goto("/settings/api-keys")
    expect(page.get_by_role("list", name="API keys").locator("li")).to_have_count(1)
    screenshot(page, f"settings-api-keys-desktop-{scheme}")
    page.goto("/admin")
    expect(page.get_by_role("button", name=re.compile("waiting for approval"))).to_be_visible()
    expect(page.get_by_role("list", name="Users").locator("li").first).to_be_visible()
    screenshot(page, f"admin-users-desktop-{scheme}")
    page.goto("/admin/connections")
    page.get_by_role("button", name="Test Fake").click()
    expect(page.get_by_role("status")).to_contain_text("Reachable")
    screenshot(page, f"admin-connections-desktop-{scheme}")
    page.goto("/admin/audit")
    expect(page.get_by_role("list", name="Events").locator("li").first).to_be_visible()
    screenshot(page, f"admin-audit-desktop-{scheme}")

    page.set_viewport_size(PHONE)
    page.goto("/settings/sessions")
    expect(page.get_by_role("list", name="Sessions").locator("li").first).to_be_visible()
    screenshot(page, f"settings-phone-{scheme}")
    page.goto("/admin")
    expect(page.get_by_role("list", name="Users").locator("li").first).to_be_visible()
    screenshot(page, f"admin-users-phone-{scheme}")


@pytest.fixture(scope="module")
def staffed(furnished: Server) -> Server:
    """Accounts to manage (one waiting for approval) and an API key, for the admin pictures."""
    make_member(furnished, "grace@example.com", "Grace Hopper")
    make_member(furnished, "linus@example.com", "Linus Torvalds")
    with furnished.api() as visitor:
        waiting = {"email": "ken@example.com", "password": PASSWORD, "name": "Ken Thompson"}
        visitor.post("/api/auth/signup", json=waiting).raise_for_status()
    with furnished.api() as api:
        api.post("/api/auth/login", json={"email": "ada@example.com", "password": PASSWORD})
        api.post("/api/api-keys", json={"name": "laptop scripts", "expires_in_days": 90})
    return furnished


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_settings_and_admin_screenshots(browser: Browser, staffed: Server, scheme: str) -> None:
    for opened in open_tab(browser, staffed, color_scheme=scheme):
        shoot_settings_and_admin(opened, scheme)
