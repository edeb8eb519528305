"""Folders, tags, select mode and "delete all my chats" in a real browser: nested folders made,
renamed, moved and deleted; chats moved by drag and drop and by the menu; tags added, removed
and filtered by; chats archived in bulk; every chat deleted from Settings → Data. With
screenshots of the sidebar, light and dark, desktop and phone.

A module of its own (its own server), so the history holds only the chats made here."""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from playwright.sync_api import Browser, Locator, Page, expect

from tests.e2e.conftest import PHONE, Server, Tab, open_tab, screenshot
from tests.e2e.steps import make_member, sign_in_as

pytestmark = pytest.mark.slow
expect.set_options(timeout=10_000)
CSRF = {"X-Confide-CSRF": "1"}


def call(tab: Tab, method: str, path: str, data: Any = None) -> Any:
    """The API, as the signed-in browser (its cookie)."""
    response = tab.page.request.fetch(
        f"{tab.server.url}{path}", method=method, data=data, headers=CSRF
    )
    assert response.ok, response.text()
    return response.json() if response.status != 204 else None


def make_chat(tab: Tab, title: str, folder_id: str | None = None) -> str:
    chat_id: str = call(tab, "POST", "/api/chats", {"title": title, "folder_id": folder_id})["id"]
    return chat_id


def make_folder(tab: Tab, name: str, parent_id: str | None = None) -> str:
    folder_id: str = call(tab, "POST", "/api/folders", {"name": name, "parent_id": parent_id})["id"]
    return folder_id


def chat_row(page: Page, chat_id: str) -> Locator:
    return page.locator(f'nav[aria-label="Chat history"] li[data-chat-id="{chat_id}"]')


def folder_row(page: Page, folder_id: str) -> Locator:
    return page.locator(f'li[data-folder-id="{folder_id}"] > .row')


def folder_menu(page: Page, folder_id: str, action: str) -> None:
    row = folder_row(page, folder_id)
    row.hover()
    row.get_by_role("button", name="Folder actions").click()
    page.get_by_role("menuitem", name=action).click()


def chat_menu(page: Page, chat_id: str, action: str) -> None:
    row = chat_row(page, chat_id)
    row.hover()
    row.get_by_role("button", name="Chat actions").click()
    page.get_by_role("menuitem", name=action).click()


def folder_of(tab: Tab, chat_id: str) -> str | None:
    folder: str | None = call(tab, "GET", f"/api/chats/{chat_id}")["folder_id"]
    return folder


@pytest.fixture
def member(browser: Browser, server: Server, request: pytest.FixtureRequest) -> Iterator[Tab]:
    """A tab signed in as an account of the test's own: an empty history to start from."""
    name = request.node.name.removeprefix("test_").split("[")[0][:40]
    account = make_member(server, f"{name.replace('_', '-')}@example.com", "Fay Folder")
    for opened in open_tab(browser, server):
        sign_in_as(opened, account)
        yield opened


def test_make_nested_folders_rename_and_delete_one(member: Tab) -> None:
    page = member.page
    page.goto("/")
    folders = page.get_by_role("list", name="Folders")

    page.get_by_role("button", name="New folder").click()
    page.get_by_label("New folder name").fill("Work")
    page.get_by_label("New folder name").press("Enter")
    expect(folders.get_by_role("button", name="Work", exact=True)).to_be_visible()
    work = call(member, "GET", "/api/folders")[0]["id"]

    folder_menu(page, work, "New folder inside")
    page.get_by_label("New folder name").fill("Clients")
    page.get_by_label("New folder name").press("Enter")
    inside = page.locator(f'li[data-folder-id="{work}"] li[data-folder-id]')
    expect(inside).to_have_count(1)
    expect(inside).to_contain_text("Clients")
    clients = inside.get_attribute("data-folder-id")
    assert clients is not None
    listed = {f["name"]: f["parent_id"] for f in call(member, "GET", "/api/folders")}
    assert listed == {"Work": None, "Clients": work}

    # Closing a folder hides what is inside, and is remembered (its id, not its name).
    page.get_by_role("button", name="Folders inside Work").click()
    expect(inside).to_have_count(0)
    remembered = page.evaluate("localStorage.getItem('confide.openFolders')")
    assert "Work" not in (remembered or "")
    page.reload()
    expect(folders.get_by_role("button", name="Work", exact=True)).to_be_visible()
    expect(inside).to_have_count(0)
    page.get_by_role("button", name="Folders inside Work").click()
    expect(inside).to_have_count(1)

    folder_menu(page, clients, "Rename")
    page.get_by_label("Folder name").fill("Customers <b>")
    page.get_by_label("Folder name").press("Enter")
    expect(folder_row(page, clients)).to_contain_text("Customers <b>")  # text, never HTML
    assert folders.locator("b").count() == 0

    chat = make_chat(member, "Acme contract", clients)
    folder_menu(page, work, "Delete")
    dialog = page.get_by_role("dialog")
    expect(dialog).to_contain_text("Work")
    expect(dialog.get_by_label("Move them out of any folder")).to_be_checked()
    dialog.get_by_role("button", name="Delete folder").click()
    expect(dialog).to_be_hidden()
    expect(page.locator("li[data-folder-id]")).to_have_count(0)
    assert call(member, "GET", "/api/folders") == []
    assert folder_of(member, chat) is None  # moved out, not deleted

    # "Delete them too" deletes the chats with the folder.
    doomed_folder = make_folder(member, "Scratch")
    doomed_chat = make_chat(member, "Throwaway", doomed_folder)
    page.reload()
    folder_menu(page, doomed_folder, "Delete")
    page.get_by_role("dialog").get_by_label("Delete them too, for good").check()
    page.get_by_role("dialog").get_by_role("button", name="Delete folder and chats").click()
    expect(chat_row(page, doomed_chat)).to_have_count(0)
    gone = page.request.get(f"{member.server.url}/api/chats/{doomed_chat}")
    assert gone.status == 404


def test_move_chats_and_folders_by_drag_and_drop_and_by_menu(member: Tab) -> None:
    page = member.page
    projects = make_folder(member, "Projects")
    archive = make_folder(member, "Old stuff")
    dragged = make_chat(member, "Dragged chat")
    menued = make_chat(member, "Menu chat")
    page.goto("/")
    expect(chat_row(page, dragged)).to_be_visible()

    chat_row(page, dragged).drag_to(folder_row(page, projects))
    wait_for(lambda: folder_of(member, dragged) == projects)

    chat_menu(page, menued, "Move to folder…")
    dialog = page.get_by_role("dialog", name=re.compile("Move this chat"))
    dialog.get_by_label("Folder").select_option(label="Projects")
    dialog.get_by_role("button", name="Move").click()
    expect(dialog).to_be_hidden()
    assert folder_of(member, menued) == projects

    # Clicking a folder lists its chats only.
    page.get_by_role("list", name="Folders").get_by_role("button", name="Projects").click()
    history = page.get_by_role("navigation", name="Chat history")
    expect(history.locator("li[data-chat-id]")).to_have_count(2)
    other = make_chat(member, "Not in a folder")
    page.get_by_role("button", name="Show chats in every folder").click()
    page.reload()
    expect(chat_row(page, other)).to_be_visible()
    page.get_by_role("list", name="Folders").get_by_role("button", name="Projects").click()
    expect(chat_row(page, other)).to_have_count(0)
    expect(chat_row(page, dragged)).to_be_visible()

    # Out of the folder: dropped on the Folders heading (the top, "no folder").
    chat_row(page, dragged).drag_to(page.locator(".folders .head"))
    expect(chat_row(page, dragged)).to_have_count(0)
    assert folder_of(member, dragged) is None

    # A folder dragged into another, then (by the menu) back to the top; never into itself.
    folder_row(page, archive).drag_to(folder_row(page, projects))
    wait_for(lambda: parent_of(member, archive) == projects)
    expect(
        page.locator(f'li[data-folder-id="{projects}"] li[data-folder-id="{archive}"]')
    ).to_be_visible()
    folder_menu(page, projects, "Move to…")
    dialog = page.get_by_role("dialog", name=re.compile("Move “Projects”"))
    options = dialog.get_by_label("Folder").locator("option")
    expect(options.filter(has_text="Projects / Old stuff")).to_be_disabled()
    dialog.get_by_role("button", name="Cancel").click()
    folder_menu(page, archive, "Move to…")
    dialog = page.get_by_role("dialog", name=re.compile("Move “Old stuff”"))
    dialog.get_by_label("Folder").select_option(label="Top level (in no folder)")
    dialog.get_by_role("button", name="Move").click()
    expect(dialog).to_be_hidden()
    assert parent_of(member, archive) is None


def parent_of(tab: Tab, folder_id: str) -> str | None:
    for folder in call(tab, "GET", "/api/folders"):
        if folder["id"] == folder_id:
            parent: str | None = folder["parent_id"]
            return parent
    raise AssertionError(f"no folder {folder_id}")


def wait_for(condition: Callable[[], bool], timeout: float = 5.0) -> None:
    """A drop is saved in the background: wait until the server has it."""
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "the change did not reach the server"
        time.sleep(0.1)


def test_add_and_remove_tags_then_filter_by_one(member: Tab) -> None:
    page = member.page
    tagged = make_chat(member, "Lisbon trip")
    plain = make_chat(member, "Grocery list")
    page.goto(f"/c/{tagged}")
    tags = page.get_by_role("group", name="Tags")
    box = page.get_by_label("Add a tag")
    box.fill("Travel")
    box.press("Enter")
    expect(tags.get_by_role("button", name="Remove tag Travel")).to_be_visible()
    box.fill("  <i>ideas</i>  ")
    box.press("Enter")
    expect(tags.get_by_role("button", name="Remove tag <i>ideas</i>")).to_be_visible()
    assert tags.locator("i").count() == 0  # shown as text
    box.fill("TRAVEL")
    box.press("Enter")
    expect(tags.get_by_role("alert")).to_contain_text("already tagged")
    box.fill("")
    assert call(member, "GET", f"/api/chats/{tagged}")["tags"] == ["Travel", "<i>ideas</i>"]

    tags.get_by_role("button", name="Remove tag <i>ideas</i>").click()
    expect(tags.get_by_role("button", name="Remove tag <i>ideas</i>")).to_have_count(0)
    assert call(member, "GET", f"/api/chats/{tagged}")["tags"] == ["Travel"]

    sidebar_tags = page.get_by_role("list", name="Filter by tag")
    expect(sidebar_tags.get_by_role("button", name=re.compile("Travel"))).to_be_visible()
    expect(chat_row(page, plain)).to_be_visible()
    page.mouse.move(0, 0)
    screenshot(page, "tags-desktop-light")
    sidebar_tags.get_by_role("button", name=re.compile("Travel")).click()
    expect(chat_row(page, plain)).to_have_count(0)
    expect(chat_row(page, tagged)).to_be_visible()
    page.get_by_role("button", name="Show chats with any tag").click()
    expect(chat_row(page, plain)).to_be_visible()


def test_select_chats_and_archive_them_at_once(member: Tab) -> None:
    page = member.page
    ids = [make_chat(member, f"Bulk chat {i}") for i in range(3)]
    keep = make_chat(member, "Stays put")
    page.goto("/")
    expect(chat_row(page, keep)).to_be_visible()
    page.get_by_role("button", name="Select", exact=True).click()
    toolbar = page.get_by_role("toolbar", name="Selected chats")
    expect(toolbar.get_by_role("button", name="Archive")).to_be_disabled()
    chat_row(page, ids[0]).get_by_role("checkbox").check()
    # The keyboard: Space ticks the chat focused, arrow keys go on to the next.
    chat_row(page, ids[1]).get_by_role("checkbox").focus()
    page.keyboard.press("Space")
    expect(chat_row(page, ids[1]).get_by_role("checkbox")).to_be_checked()
    chat_row(page, ids[2]).get_by_role("checkbox").check()
    expect(page.get_by_text("3 selected")).to_be_visible()
    page.mouse.move(0, 0)
    screenshot(page, "select-mode-desktop-light")
    toolbar.get_by_role("button", name="Archive").click()
    for chat_id in ids:
        expect(chat_row(page, chat_id)).to_have_count(0)
    expect(chat_row(page, keep)).to_be_visible()
    expect(toolbar).to_have_count(0)  # select mode ends after the action
    archived = call(member, "GET", "/api/chats?archived=true")["items"]
    assert sorted(chat["id"] for chat in archived) == sorted(ids)


def test_delete_all_my_chats_from_settings(member: Tab) -> None:
    page = member.page
    for title in ["One", "Two", "Three"]:
        make_chat(member, title)
    page.goto("/settings/data")
    expect(page.get_by_role("heading", name="Data", level=1)).to_be_visible()
    page.get_by_role("button", name="Delete all chats…").click()
    dialog = page.get_by_role("dialog")
    screenshot(page, "settings-delete-all-light")
    confirm = dialog.get_by_role("button", name="Delete all chats")
    expect(confirm).to_be_disabled()
    dialog.get_by_label("Type DELETE to confirm").fill("delete")
    expect(confirm).to_be_disabled()
    dialog.get_by_label("Type DELETE to confirm").fill("DELETE")
    confirm.click()
    expect(page.get_by_role("status")).to_have_text("Deleted 3 chats.")
    assert call(member, "GET", "/api/chats")["items"] == []
    page.goto("/")
    expect(page.get_by_text("Your chats will appear here.")).to_be_visible()


def furnish(tab: Tab) -> str:
    """Folders, tags and chats, so the pictures look lived in; answers a chat's id."""
    work = make_folder(tab, "Work")
    clients = make_folder(tab, "Clients", work)
    make_folder(tab, "Acme", clients)
    recipes = make_folder(tab, "Recipes")
    make_folder(tab, "A folder with a rather long name to see it cut off")
    report = make_chat(tab, "Quarterly report outline", work)
    make_chat(tab, "Hiring plan", work)
    make_chat(tab, "Sourdough starter schedule", recipes)
    trip = make_chat(tab, "Trip to Lisbon")
    tagged = [
        (report, ["work", "finance", "q3"]),
        (trip, ["travel", "2026"]),
        (make_chat(tab, "Fix the CI"), ["work"]),
    ]
    for chat_id, tags in tagged:
        call(tab, "PUT", f"/api/chats/{chat_id}/tags", {"tags": tags})
    return trip


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_sidebar_screenshots(browser: Browser, server: Server, scheme: str) -> None:
    account = make_member(server, f"shots-{scheme}@example.com", "Sam Shots")
    for tab in open_tab(browser, server, color_scheme=scheme):
        sign_in_as(tab, account)
        page = tab.page
        trip = furnish(tab)
        page.goto(f"/c/{trip}")
        folders = page.get_by_role("list", name="Folders")
        expect(folders.get_by_role("button", name="Work, 2 chats")).to_be_visible()
        page.get_by_role("button", name="Folders inside Work").click()
        page.get_by_role("button", name="Folders inside Clients").click()
        expect(folders.get_by_role("button", name="Acme")).to_be_visible()
        expect(page.get_by_role("button", name="Remove tag travel")).to_be_visible()
        page.mouse.move(0, 0)
        screenshot(page, f"folders-desktop-{scheme}")
        folder_menu(page, work_id(tab), "Move to…")
        expect(page.get_by_role("dialog")).to_be_visible()
        screenshot(page, f"folders-move-desktop-{scheme}")
        page.keyboard.press("Escape")

        page.set_viewport_size(PHONE)
        page.reload()
        expect(page.get_by_role("button", name="Remove tag travel")).to_be_visible()
        screenshot(page, f"chat-tags-phone-{scheme}")
        page.get_by_role("button", name="Open the sidebar").click()
        page.wait_for_timeout(300)  # the sidebar slides in
        screenshot(page, f"folders-phone-{scheme}")
        row = chat_row(page, trip)
        row.get_by_role("button", name="Chat actions").click()
        expect(page.get_by_role("menuitem", name="Move to folder…")).to_be_in_viewport()
        screenshot(page, f"chat-menu-phone-{scheme}")
        page.keyboard.press("Escape")
        page.get_by_role("button", name="Select", exact=True).click()
        page.locator('nav[aria-label="Chat history"] input[type="checkbox"]').first.check()
        screenshot(page, f"select-mode-phone-{scheme}")


def work_id(tab: Tab) -> str:
    for folder in call(tab, "GET", "/api/folders"):
        if folder["name"] == "Work":
            folder_id: str = folder["id"]
            return folder_id
    raise AssertionError("no Work folder")
