"""Searching my chats from the sidebar in a real browser: a word inside a message finds its
chat, the last word matches as a prefix while typing, the arrow keys and Enter open a result,
more results page in, a bad filter shows the server's message, Esc goes back to the history.
With screenshots of the results, desktop and phone.

A module of its own (its own server); each test signs in an account of its own."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.e2e.conftest import PHONE, Server, Tab, open_tab, screenshot
from tests.e2e.steps import make_member, sign_in_as
from tests.e2e.test_accessibility import assert_accessible

pytestmark = pytest.mark.slow
expect.set_options(timeout=10_000)
CSRF = {"X-Confide-CSRF": "1"}
RESULTS = '[role="listbox"][aria-label="Chats found"]'


def call(tab: Tab, method: str, path: str, data: Any = None) -> Any:
    """The API, as the signed-in browser (its cookie)."""
    response = tab.page.request.fetch(
        f"{tab.server.url}{path}", method=method, data=data, headers=CSRF
    )
    assert response.ok, response.text()
    return response.json() if response.status != 204 else None


def make_chat(tab: Tab, title: str, *messages: str) -> str:
    """A chat with user messages in it (stored and indexed at once; replies are not awaited)."""
    chat_id: str = call(tab, "POST", "/api/chats", {"title": title})["id"]
    parent = None
    for text in messages:
        body = {"content": text, "model": "fake-small", "parent_id": parent}
        parent = call(tab, "POST", f"/api/chats/{chat_id}/messages", body)["user_message_id"]
    return chat_id


def options(page: Page) -> Any:
    return page.locator(f'{RESULTS} [role="option"]')


@pytest.fixture
def member(browser: Browser, server: Server, request: pytest.FixtureRequest) -> Iterator[Tab]:
    """A tab signed in as an account of the test's own: an empty history to start from."""
    name = request.node.name.removeprefix("test_").split("[")[0][:40]
    account = make_member(server, f"{name.replace('_', '-')}@example.com", "Sam Search")
    for opened in open_tab(browser, server):
        sign_in_as(opened, account)
        yield opened


def test_a_word_in_a_message_finds_its_chat_as_you_type(member: Tab) -> None:
    page = member.page
    trip = make_chat(member, "Trip planning", "Where can I rent a kayak in Lisbon? <b>bold</b>")
    make_chat(member, "Kitchen", "How do I descale a kettle?")
    page.goto("/")
    history = page.get_by_role("navigation", name="Chat history")
    expect(history.get_by_role("link", name="Trip planning")).to_be_visible()

    box = page.get_by_label("Search chats")
    box.press_sequentially("kay", delay=40)  # a prefix of "kayak", while typing
    expect(options(page)).to_have_count(1)
    found = options(page).first
    expect(found).to_contain_text("Trip planning")
    expect(found.locator("mark")).to_have_text("kayak")
    expect(found).to_contain_text("<b>bold</b>")  # the snippet is text, never HTML
    expect(found.locator("b")).to_have_count(0)
    expect(history).to_have_count(0)  # the results stand in for the history
    expect(page.get_by_role("status").filter(has_text="found")).to_have_text(
        re.compile("1 chat found", re.I)
    )
    expect(page.get_by_text("Narrow with")).to_be_visible()
    assert_accessible(page)

    found.click()
    expect(page).to_have_url(re.compile(f"/c/{trip}$"))
    expect(found).to_have_attribute("aria-current", "page")

    box.fill("kayak lisbon descale")  # every word must match
    expect(page.get_by_text("No chats match “kayak lisbon descale”.")).to_be_visible()
    expect(options(page)).to_have_count(0)

    page.get_by_role("button", name="Clear search").click()
    expect(box).to_have_value("")
    expect(box).to_be_focused()
    expect(history.get_by_role("link", name="Kitchen")).to_be_visible()


def test_the_keyboard_moves_through_results_and_opens_one(member: Tab) -> None:
    page = member.page
    ids = {
        "Older notes": make_chat(member, "Older notes", "The lighthouse keeper log"),
        "Newer notes": make_chat(member, "Newer notes", "A lighthouse on the coast"),
    }
    page.goto("/")
    page.get_by_label("Message", exact=True).click()
    page.keyboard.press("Control+k")
    box = page.get_by_label("Search chats")
    expect(box).to_be_focused()
    box.fill("lighthouse")
    expect(options(page)).to_have_count(2)
    first, second = options(page).nth(0), options(page).nth(1)
    expect(first).to_have_attribute("aria-selected", "true")  # Enter opens the first
    expect(box).to_have_attribute("aria-activedescendant", first.get_attribute("id") or "")

    box.press("ArrowDown")
    expect(second).to_have_attribute("aria-selected", "true")
    expect(first).to_have_attribute("aria-selected", "false")
    expect(box).to_have_attribute("aria-activedescendant", second.get_attribute("id") or "")
    box.press("ArrowDown")  # the end: stays
    expect(second).to_have_attribute("aria-selected", "true")
    box.press("ArrowUp")
    box.press("ArrowDown")
    title = second.locator(".title").inner_text()
    box.press("Enter")
    expect(page).to_have_url(re.compile(f"/c/{ids[title]}$"))
    expect(page.get_by_label("Message", exact=True)).to_be_focused()

    # The search stays for the next pick; Esc clears it and the history is back.
    page.keyboard.press("Control+k")
    expect(box).to_have_value("lighthouse")
    box.press("ArrowUp")
    expect(first).to_have_attribute("aria-selected", "true")
    title = first.locator(".title").inner_text()
    box.press("Enter")
    expect(page).to_have_url(re.compile(f"/c/{ids[title]}$"))
    page.keyboard.press("Control+k")
    box.press("Escape")
    expect(box).to_have_value("")
    expect(page.get_by_role("navigation", name="Chat history")).to_be_visible()


def test_more_results_page_in_and_a_bad_filter_shows_why(member: Tab) -> None:
    page = member.page
    for number in range(25):
        call(member, "POST", "/api/chats", {"title": f"Lantern {number:02d}"})
    page.goto("/")
    box = page.get_by_label("Search chats")
    box.fill("lantern")
    expect(options(page)).to_have_count(20)
    options(page).last.scroll_into_view_if_needed()  # the end in view: the next page comes
    expect(options(page)).to_have_count(25)
    expect(page.get_by_role("button", name="Load more")).to_have_count(0)
    texts = options(page).locator(".title").all_inner_texts()
    assert len(set(texts)) == 25, texts

    box.fill("lantern after:soon")
    expect(page.get_by_role("alert")).to_have_text("`after:` takes a date like 2026-01-31.")
    box.fill("lantern is:archived")
    expect(page.get_by_role("alert")).to_have_count(0)
    expect(page.get_by_text("No chats match “lantern is:archived”.")).to_be_visible()


def test_search_screenshots(browser: Browser, server: Server) -> None:
    account = make_member(server, "shots-search@example.com", "Sam Search")
    for scheme in ("light", "dark"):
        for tab in open_tab(browser, server, color_scheme=scheme):
            sign_in_as(tab, account)
            page = tab.page
            if scheme == "light":
                make_chat(tab, "Trip to Lisbon", "Which day trips from Lisbon are worth it?")
                make_chat(tab, "Packing list", "What should I pack for a week in Lisbon in May?")
                make_chat(tab, "Sourdough starter schedule", "Feeding times for a starter")
                make_chat(tab, "Portuguese phrases", "Polite phrases for a café in Lisbon")
            page.goto("/")
            box = page.get_by_label("Search chats")
            box.fill("lisbon")
            expect(options(page)).to_have_count(3)
            box.press("ArrowDown")
            page.mouse.move(900, 400)
            screenshot(page, f"search-desktop-{scheme}")
            if scheme == "light":
                page.set_viewport_size(PHONE)
                page.goto("/")
                page.get_by_role("button", name="Open the sidebar").click()
                page.get_by_label("Search chats").fill("lisbon")
                expect(options(page)).to_have_count(3)
                page.wait_for_timeout(300)  # the sidebar slides in
                screenshot(page, "search-phone-light")
