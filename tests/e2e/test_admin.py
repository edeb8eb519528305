"""The admin pages in a real browser: approving accounts, roles and the last admin,
connections, presets (and their knowledge bases), the sign-up mode and the audit log;
non-admins kept out. A module of its own: its server's accounts and settings change here."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Browser, Locator, Page, expect

from tests.conftest import PASSWORD
from tests.e2e.conftest import ADMIN, FAKE_MODEL, PHONE, Server, Tab, open_tab, screenshot
from tests.e2e.fake_model import ScriptedModel
from tests.e2e.steps import DONE_REPLY, make_member, send, sign_in_as

CSRF = {"X-Confide-CSRF": "1"}

pytestmark = pytest.mark.slow
expect.set_options(timeout=10_000)


def test_admin_approves_a_pending_user(browser: Browser, tab: Tab) -> None:
    for visitor in open_tab(browser, tab.server):
        waiting = visitor.page
        waiting.goto("/signup")
        waiting.get_by_label("Name").fill("Nina New")
        waiting.get_by_label("Email").fill("nina@example.com")
        waiting.get_by_label("Password").fill(PASSWORD)
        waiting.get_by_role("button", name="Create account").click()
        expect(waiting.get_by_role("heading", name="Waiting for approval")).to_be_visible()

        page = tab.page
        page.goto("/")
        page.get_by_role("button", name=re.compile("Ada Lovelace")).click()
        page.get_by_role("menuitem", name="Admin").click()
        expect(page).to_have_url(re.compile(r"/admin$"))
        badge = page.get_by_role("button", name=re.compile("1 waiting for approval"))
        expect(badge).to_be_visible()
        badge.click()
        users = page.get_by_role("list", name="Users").locator("li")
        expect(users).to_have_count(1)
        expect(users).to_contain_text("nina@example.com")
        users.get_by_role("button", name="Approve nina@example.com").click()
        expect(users).to_have_count(0)
        expect(badge).to_have_count(0)

        waiting.reload()
        greeting = waiting.get_by_role("heading", name=re.compile("on your mind, Nina"))
        expect(greeting).to_be_visible()
        expect(waiting).to_have_url(re.compile(r"/$"))


def test_users_search_roles_disable_delete_and_the_last_admin(tab: Tab) -> None:
    make_member(tab.server, "zed@example.com", "Zed Zebra")
    page = tab.page
    page.goto("/admin")
    page.get_by_label("Search users").fill("zebra")
    users = page.get_by_role("list", name="Users").locator("li")
    expect(users).to_have_count(1)
    page.get_by_label("Role of zed@example.com").select_option("admin")
    expect(users).to_contain_text("Admin")
    page.get_by_role("button", name="Disable zed@example.com").click()
    expect(users).to_contain_text("Disabled")
    page.get_by_role("button", name="Enable zed@example.com").click()
    expect(users).not_to_contain_text("Disabled")
    page.get_by_label("Role of zed@example.com").select_option("user")
    page.get_by_role("group", name="Role").get_by_role("button", name="Admins").click()
    page.get_by_label("Search users").fill("")
    expect(users).to_have_count(1)
    expect(users).to_contain_text("ada@example.com")

    # The last admin is protected: the API says why, and the page shows it.
    page.get_by_label("Role of ada@example.com").select_option("user")
    expect(page.get_by_role("alert")).to_contain_text(re.compile("admin", re.I))
    page.get_by_role("button", name="Delete ada@example.com").click()
    dialog = page.get_by_role("dialog")
    dialog.get_by_role("button", name="Delete account").click()
    expect(dialog.get_by_role("alert")).to_contain_text(re.compile("admin", re.I))
    dialog.get_by_role("button", name="Cancel").click()

    page.get_by_role("group", name="Role").get_by_role("button", name="All").click()
    page.get_by_label("Search users").fill("zed")
    page.get_by_role("button", name="Delete zed@example.com").click()
    page.get_by_role("dialog").get_by_role("button", name="Delete account").click()
    expect(page.get_by_role("list", name="Users").locator("li")).to_have_count(0)
    expect(page.get_by_text("No user matches.")).to_be_visible()


def test_add_test_edit_disable_and_delete_a_connection(tab: Tab, fake_model: ScriptedModel) -> None:
    page = tab.page
    page.goto("/admin/connections")
    page.get_by_role("button", name="Add connection").click()
    dialog = page.get_by_role("dialog")
    dialog.get_by_label("Name").fill("Second fake")
    dialog.get_by_label("Base URL").fill(fake_model.base_url)
    dialog.get_by_label(re.compile("^API key")).fill("sk-test-secret-123")
    dialog.get_by_label(re.compile("^Model prefix")).fill("second")
    dialog.get_by_role("button", name="Add connection").click()

    row = page.locator("li", has_text="Second fake")
    expect(row).to_contain_text("key set")
    expect(row.get_by_role("status")).to_contain_text(re.compile(r"Reachable · \d+ models"))
    assert "sk-test-secret-123" not in page.content()

    row.get_by_role("button", name="Edit Second fake").click()
    dialog = page.get_by_role("dialog")
    expect(dialog.get_by_label(re.compile("^API key"))).to_have_value("")
    expect(dialog.get_by_label(re.compile("^API key"))).to_have_attribute(
        "placeholder", re.compile("keep the stored key")
    )
    dialog.get_by_label("Remove the stored key").check()
    dialog.get_by_role("button", name="Save").click()
    expect(row).to_contain_text("key not set")

    row.get_by_role("button", name="Test Second fake").click()
    expect(row.get_by_role("status")).to_contain_text("Reachable")
    row.get_by_role("button", name="Disable Second fake").click()
    expect(row).to_contain_text("Disabled")
    models = page.request.get(f"{tab.server.url}/api/models").json()
    assert not [m for m in models["items"] if m["id"].startswith("second/")]

    row.get_by_role("button", name="Delete Second fake").click()
    page.get_by_role("dialog").get_by_role("button", name="Delete").click()
    expect(page.locator("li", has_text="Second fake")).to_have_count(0)


def test_admin_creates_a_preset_that_a_user_picks(browser: Browser, tab: Tab) -> None:
    page = tab.page
    page.goto("/admin/presets")
    page.get_by_role("button", name="New preset").click()
    dialog = page.get_by_role("dialog")
    dialog.get_by_label("Name").fill("Pirate voice")
    dialog.get_by_label("Base model").select_option(FAKE_MODEL)
    dialog.get_by_label(re.compile("^System prompt")).fill("Talk like a pirate.")
    dialog.get_by_label(re.compile("^Description")).fill("<b>Arr</b>, matey")
    dialog.get_by_label("Temperature").fill("hot")
    dialog.get_by_role("radio", name="Everyone").click()
    dialog.get_by_role("button", name="Create preset").click()
    expect(dialog.locator(".error")).to_have_text("Enter a number.")
    dialog.get_by_label("Temperature").fill("0.3")
    dialog.get_by_role("button", name="Create preset").click()
    row = page.locator("li", has_text="Pirate voice")
    expect(row).to_contain_text("Everyone")
    expect(row.locator(".description")).to_have_text("<b>Arr</b>, matey")  # text, not HTML
    expect(row.locator("b")).to_have_count(0)

    account = make_member(tab.server, "pia@example.com", "Pia Picker")
    for user_tab in open_tab(browser, tab.server):
        sign_in_as(user_tab, account)
        user = user_tab.page
        user.goto("/")
        picker = user.locator('button[aria-haspopup="listbox"]')
        expect(picker).not_to_contain_text("Loading")
        picker.click()
        user.get_by_label("Search models").fill("pirate")
        expect(user.get_by_role("option")).to_have_count(1)
        user.get_by_label("Search models").press("Enter")
        expect(picker).to_contain_text("Pirate voice")
        send(user, "Hello preset user")
        expect(user.locator(DONE_REPLY)).to_contain_text("Pirate voice")

    _attach_knowledge(tab)
    _knowledge_in_the_dark(browser, tab.server)


def _knowledge_base(tab: Tab, name: str) -> str:
    response = tab.page.request.post(
        f"{tab.server.url}/api/knowledge", data={"name": name}, headers=CSRF
    )
    assert response.ok, response.text()
    knowledge_id: str = response.json()["id"]
    return knowledge_id


def _edit_pirate_voice(page: Page) -> Locator:
    page.get_by_role("button", name="Edit Pirate voice").click()
    dialog = page.get_by_role("dialog", name="Edit Pirate voice")
    expect(dialog.get_by_label("Name")).to_have_value("Pirate voice")
    return dialog


def _attach_knowledge(tab: Tab) -> None:
    """Choose knowledge bases from the searchable list; one deleted meanwhile is refused,
    under the field; the one kept is there after a reload."""
    page = tab.page
    _knowledge_base(tab, "Marsh field guide")
    _knowledge_base(tab, "Recipes")
    doomed = _knowledge_base(tab, "Old notes")
    page.goto("/admin/presets")
    dialog = _edit_pirate_voice(page)
    expect(dialog.get_by_text("for each person only the ones they may read")).to_be_visible()
    offered = dialog.get_by_role("list", name="Knowledge bases to add").get_by_role("button")
    expect(offered).to_have_count(3)
    search = dialog.get_by_label("Search your knowledge bases")
    search.fill("MARSH guide")
    expect(offered).to_have_count(1)
    offered.click()
    chosen = dialog.get_by_role("list", name="Chosen knowledge bases").locator("li")
    expect(chosen).to_have_text(["Marsh field guide"])
    expect(dialog.get_by_text("No knowledge base’s name matches “MARSH guide”.")).to_be_visible()
    search.fill("")
    expect(offered).to_have_count(2)
    offered.filter(has_text="Old notes").click()
    expect(chosen).to_have_text(["Marsh field guide", "Old notes"])

    deleted = page.request.delete(f"{tab.server.url}/api/knowledge/{doomed}", headers=CSRF)
    assert deleted.ok, deleted.text()
    dialog.get_by_role("button", name="Save").click()
    expect(dialog.locator(".field .error")).to_have_text("Knowledge base not found.")
    expect(search).to_have_attribute("aria-invalid", "true")
    expect(dialog.get_by_role("alert")).to_have_count(0)  # said once, under the field
    gone = "A knowledge base you cannot open"  # the list, asked again, no longer has it
    expect(chosen).to_have_text(["Marsh field guide", gone])
    screenshot(page, "preset-knowledge-error-desktop-light")
    dialog.get_by_role("button", name=f"Remove {gone}").click()
    dialog.get_by_role("button", name="Save").click()
    expect(dialog).to_be_hidden()

    page.reload()
    dialog = _edit_pirate_voice(page)
    chosen = dialog.get_by_role("list", name="Chosen knowledge bases").locator("li")
    expect(chosen).to_have_text(["Marsh field guide"])
    expect(dialog.get_by_role("list", name="Knowledge bases to add")).to_contain_text("Recipes")
    screenshot(page, "preset-knowledge-desktop-light")
    page.set_viewport_size(PHONE)
    chosen.first.scroll_into_view_if_needed()
    screenshot(page, "preset-knowledge-phone-light")


def _knowledge_in_the_dark(browser: Browser, server: Server) -> None:
    for dark in open_tab(browser, server, color_scheme="dark"):
        sign_in_as(dark, ADMIN)
        page = dark.page
        page.goto("/admin/presets")
        dialog = _edit_pirate_voice(page)
        chosen = dialog.get_by_role("list", name="Chosen knowledge bases")
        expect(chosen).to_contain_text("Marsh field guide")
        screenshot(page, "preset-knowledge-desktop-dark")
        page.set_viewport_size(PHONE)
        chosen.scroll_into_view_if_needed()
        screenshot(page, "preset-knowledge-phone-dark")


def test_change_the_sign_up_mode(tab: Tab) -> None:
    page = tab.page
    page.goto("/admin/instance")
    expect(page.get_by_role("radio", name=re.compile("With approval"))).to_be_checked()
    page.get_by_role("radio", name=re.compile("Closed")).click()
    expect(page.get_by_role("radio", name=re.compile("Closed"))).to_be_checked()
    expect(page.get_by_role("status")).to_have_text("Saved.")
    setup = page.request.get(f"{tab.server.url}/api/auth/setup").json()
    assert setup["signup_mode"] == "closed"
    page.reload()
    expect(page.get_by_role("radio", name=re.compile("Closed"))).to_be_checked()
    page.get_by_role("radio", name=re.compile("With approval")).click()
    expect(page.get_by_role("radio", name=re.compile("With approval"))).to_be_checked()


def test_the_audit_log_shows_and_filters_events(tab: Tab) -> None:
    page = tab.page
    page.request.patch(
        f"{tab.server.url}/api/settings",
        data={"signup_mode": "open"},
        headers={"X-Confide-CSRF": "1"},
    )
    page.request.patch(
        f"{tab.server.url}/api/settings",
        data={"signup_mode": "approval"},
        headers={"X-Confide-CSRF": "1"},
    )
    page.goto("/admin/audit")
    events = page.get_by_role("list", name="Events").locator("li")
    expect(events.first).to_be_visible()
    expect(page.locator('li[data-action="auth.login"]').first).to_contain_text("Ada Lovelace")
    page.get_by_label("Action").select_option("admin.signup_mode")
    expect(events.locator('xpath=self::*[not(@data-action="admin.signup_mode")]')).to_have_count(0)
    expect(events.first).to_contain_text("mode: approval")
    expect(events.nth(1)).to_contain_text("mode: open")
    page.get_by_label("From").fill("2000-01-01")
    page.get_by_label("To").fill("2000-01-31")
    expect(page.get_by_text("No events match.")).to_be_visible()
    page.get_by_label("From").fill("")
    page.get_by_label("To").fill("")
    page.get_by_label("Action").select_option("")
    page.get_by_label("User").select_option(label="Ada Lovelace")
    expect(page.locator('li[data-action="auth.login"]').first).to_be_visible()


def test_non_admins_see_admins_only(browser: Browser, server: Server) -> None:
    account = make_member(server, "notadmin@example.com", "Norm User")
    for opened in open_tab(browser, server):
        sign_in_as(opened, account)
        page = opened.page
        page.goto("/")
        page.get_by_role("button", name=re.compile("Norm User")).click()
        expect(page.get_by_role("menuitem", name="Settings")).to_be_visible()
        expect(page.get_by_role("menuitem", name="Admin")).to_have_count(0)
        page.goto("/admin/users")
        expect(page.get_by_role("heading", name="Admins only")).to_be_visible()
        page.get_by_role("link", name="Back to chats").click()
        expect(page).to_have_url(re.compile(r"/$"))
