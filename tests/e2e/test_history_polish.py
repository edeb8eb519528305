"""The history's finer points in a real browser: each folder shows how many chats it holds
(kept right as chats move, are archived or deleted), each chat row shows its tags as chips that
filter the history, a tag can be deleted everywhere from the sidebar, and rows keep their one
height however many tags a chat has.

A module of its own (its own server), so the history holds only the chats made here."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, expect

from tests.e2e.conftest import Server, Tab, open_tab, screenshot
from tests.e2e.steps import make_member, sign_in_as
from tests.e2e.test_folders import call, chat_menu, chat_row, make_chat, make_folder

pytestmark = pytest.mark.slow
expect.set_options(timeout=10_000)
ROW_HEIGHT = 36  # stores/historyRows.ts


@pytest.fixture
def member(browser: Browser, server: Server, request: pytest.FixtureRequest) -> Iterator[Tab]:
    """A tab signed in as an account of the test's own: an empty history to start from."""
    name = request.node.name.removeprefix("test_").split("[")[0][:40]
    account = make_member(server, f"{name.replace('_', '-')}@example.com", "Pat Polish")
    for opened in open_tab(browser, server):
        sign_in_as(opened, account)
        yield opened


def tag_chats(tab: Tab, chat_id: str, tags: list[str]) -> None:
    call(tab, "PUT", f"/api/chats/{chat_id}/tags", {"tags": tags})


def test_folder_counts_follow_moves_archives_and_deletes(member: Tab) -> None:
    page = member.page
    work = make_folder(member, "Work")
    make_folder(member, "Empty")
    first = make_chat(member, "Budget", work)
    make_chat(member, "Roadmap", work)
    loose = make_chat(member, "Loose end")
    page.goto("/")
    folders = page.get_by_role("list", name="Folders")
    expect(folders.get_by_role("button", name="Work, 2 chats", exact=True)).to_be_visible()
    expect(folders.get_by_role("button", name="Empty", exact=True)).to_be_visible()  # no count

    chat_menu(page, loose, "Move to folder…")
    dialog = page.get_by_role("dialog", name=re.compile("Move this chat"))
    dialog.get_by_label("Folder").select_option(label="Work")
    dialog.get_by_role("button", name="Move").click()
    expect(folders.get_by_role("button", name="Work, 3 chats", exact=True)).to_be_visible()
    expect(page.locator(f'li[data-folder-id="{work}"] .count')).to_have_text("3")

    chat_menu(page, first, "Archive")  # archived chats are not counted
    expect(folders.get_by_role("button", name="Work, 2 chats", exact=True)).to_be_visible()
    chat_menu(page, loose, "Delete")
    page.get_by_role("dialog").get_by_role("button", name="Delete").click()
    expect(folders.get_by_role("button", name="Work, 1 chat", exact=True)).to_be_visible()


def test_a_tag_chip_filters_the_history(member: Tab) -> None:
    page = member.page
    trip = make_chat(member, "Trip to Lisbon")
    plain = make_chat(member, "Grocery list")
    many = make_chat(member, "Tagged a lot")
    tag_chats(member, trip, ["travel", "2026"])
    tag_chats(member, many, ["travel", "food", "ideas", "later"])
    page.goto("/")
    row = chat_row(page, many)
    expect(row.get_by_role("button", name=re.compile("^Show chats tagged"))).to_have_count(2)
    expect(row.locator(".more")).to_have_text("+2")

    chat_row(page, trip).get_by_role("button", name="Show chats tagged travel").click()
    expect(chat_row(page, plain)).to_have_count(0)
    expect(chat_row(page, trip)).to_be_visible()
    expect(chat_row(page, many)).to_be_visible()
    # The tag filtered by is not repeated on every row; the others still are.
    trip_row = chat_row(page, trip)
    expect(trip_row.get_by_role("button", name="Show chats tagged travel")).to_have_count(0)
    expect(trip_row.get_by_role("button", name="Show chats tagged 2026")).to_be_visible()
    page.get_by_role("button", name="Show chats with any tag").click()
    expect(chat_row(page, plain)).to_be_visible()


def test_delete_a_tag_everywhere_from_the_sidebar(member: Tab) -> None:
    page = member.page
    ids = [make_chat(member, f"Trip {n}") for n in range(3)]
    for chat_id in ids:
        tag_chats(member, chat_id, ["travel", "keep"])
    page.goto(f"/c/{ids[0]}")
    chips = page.get_by_role("navigation", name="Chat history").get_by_role(
        "button", name="Show chats tagged travel"
    )
    expect(chips).to_have_count(3)

    page.get_by_role("region", name="Tags").get_by_role("button", name="Edit").click()
    page.get_by_role("list", name="Delete a tag").get_by_role(
        "button", name="Delete tag travel"
    ).click()
    dialog = page.get_by_role("dialog")
    expect(dialog).to_contain_text("It is on 3 chats")
    screenshot(page, "tag-delete-desktop-light")
    dialog.get_by_role("button", name="Delete tag").click()
    expect(dialog).to_be_hidden()
    expect(chips).to_have_count(0)
    expect(page.get_by_role("button", name="Remove tag travel")).to_have_count(0)  # open chat
    expect(page.get_by_role("button", name="Remove tag keep")).to_be_visible()
    assert [t["name"] for t in call(member, "GET", "/api/tags")] == ["keep"]
    assert call(member, "GET", f"/api/chats/{ids[1]}")["tags"] == ["keep"]


def test_rows_keep_one_height_with_chips_as_the_list_scrolls(member: Tab) -> None:
    page = member.page
    for n in range(120):
        chat_id = make_chat(member, f"Chat {n:03} with a title long enough to be cut off")
        if n % 2:
            tag_chats(member, chat_id, ["a rather long tag name", "second", "third"][: n % 4])
    page.goto("/")
    history = page.get_by_role("navigation", name="Chat history")
    rows = history.locator("li[data-chat-id]")
    expect(rows.first).to_be_visible()
    for _ in range(4):  # the history itself scrolls; rows come and go as it does
        heights = rows.evaluate_all("rows => rows.map(row => row.getBoundingClientRect().height)")
        assert set(heights) == {ROW_HEIGHT}, heights
        history.evaluate("element => { element.scrollTop += 1500 }")
        page.wait_for_timeout(100)
    expect(history.get_by_role("link", name=re.compile("^Chat 000 "))).to_be_visible()
