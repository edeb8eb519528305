"""The XSS payload table, planted wherever a person's words are shown: chat titles, folder and
tag names, preset names and descriptions, and account names. Each page that shows them must
render them as inert text: no dialog, no request to another origin, no CSP violation (the tab
fixture's watcher fails the test on any of these), no element the payload tried to create,
and the payload itself readable on the page.

Model output has its own test (test_app.py: test_hostile_model_output_neither_runs_nor_fetches).
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import FAKE_MODEL, Server, Tab
from tests.e2e.steps import ADMIN_LOGIN, make_member

# Short enough for every field (tag names stop at 50 characters), each a different trick.
PAYLOADS = [
    "<img src=x onerror=alert(1)>",
    "<script>alert(2)</script>",
    '"><svg onload=alert(3)>',
    "<iframe src=https://evil.example/>",
    "<a href=javascript:alert(4)>a</a>",
    "[md](javascript:alert(5))",
    "![md](https://evil.example/x.png)",
    "{{constructor.constructor('alert(6)')()}}",
    "<style>@import 'https://evil.example/';</style>",
    "<details open ontoggle=alert(7)>",
]
# Elements no payload may manage to create anywhere in the app's own markup.
PLANTED = (
    "img[src='x'], script:not([src]), svg[onload], iframe, details[ontoggle], a[href^='javascript']"
)


@pytest.fixture(scope="module")
def planted(server: Server) -> Iterator[Server]:
    """The admin's chats, folders, tags and presets, and a member, all named by payloads."""
    with server.api() as api:
        api.post("/api/auth/login", json=ADMIN_LOGIN).raise_for_status()
        first_chat = None
        for payload in PAYLOADS:
            chat = api.post("/api/chats", json={"title": payload}).json()
            first_chat = first_chat or chat["id"]
            api.post("/api/folders", json={"name": payload}).raise_for_status()
            preset = {"name": payload, "base_model": FAKE_MODEL, "description": payload}
            api.post("/api/models/presets", json=preset).raise_for_status()
        tagged = api.put(f"/api/chats/{first_chat}/tags", json={"tags": PAYLOADS[:5]})
        tagged.raise_for_status()
    make_member(server, "mallory@example.com", PAYLOADS[0])
    yield server


def assert_inert(page: Page, *, shown: list[str]) -> None:
    """Nothing the payloads tried to create exists, and the payloads show as text."""
    page.wait_for_timeout(300)  # give anything that might fire the time to do it
    assert page.locator(PLANTED).count() == 0, page.locator(PLANTED).first.evaluate(
        "e => e.outerHTML"
    )
    for payload in shown:
        expect(page.get_by_text(payload, exact=True).first).to_be_attached()


def test_chat_titles_folders_and_tags_in_the_sidebar_are_text(planted: Server, tab: Tab) -> None:
    page = tab.page
    page.goto("/")
    expect(page.get_by_role("navigation").first).to_be_visible()
    assert_inert(page, shown=PAYLOADS)


def test_a_chat_opened_by_its_hostile_title_is_text(planted: Server, tab: Tab) -> None:
    page = tab.page
    page.goto("/")
    history = page.get_by_role("navigation", name="Chat history")
    history.get_by_text(PAYLOADS[1], exact=True).first.click()
    expect(page).to_have_url(re.compile(r"/c/[A-Za-z0-9_-]+$"))
    assert_inert(page, shown=[PAYLOADS[1]])


def test_presets_in_the_admin_pages_and_the_model_picker_are_text(
    planted: Server, tab: Tab
) -> None:
    page = tab.page
    page.goto("/admin/presets")
    assert_inert(page, shown=PAYLOADS)
    page.goto("/")
    page.locator('button[aria-haspopup="listbox"]').click()
    assert_inert(page, shown=PAYLOADS[:3])


def test_account_names_in_the_user_list_are_text(planted: Server, tab: Tab) -> None:
    page = tab.page
    page.goto("/admin/users")
    expect(page.get_by_text("mallory@example.com").first).to_be_visible()
    assert_inert(page, shown=[PAYLOADS[0]])


def test_the_check_does_see_a_planted_element(planted: Server, tab: Tab) -> None:
    page = tab.page
    page.goto("/")
    expect(page.get_by_role("navigation").first).to_be_visible()
    page.evaluate("document.body.append(Object.assign(document.createElement('iframe')))")
    with pytest.raises(AssertionError):
        assert_inert(page, shown=[])
