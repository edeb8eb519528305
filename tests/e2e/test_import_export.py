"""Import and export in a real browser: a hand-made ChatGPT `conversations.json` imported
from Settings → Data (one chat comes in, a broken one is reported with its reason; a second
import finds the first already here), the imported chat opened from the history, then
exported from its menu and from Settings → Data as downloads. With screenshots of the
import results, desktop and phone.

A module of its own (its own server), so the history holds only the chats made here."""

from __future__ import annotations

import json
import re
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.e2e.conftest import PHONE, Server, Tab, open_tab, screenshot
from tests.e2e.steps import make_member, sign_in_as

pytestmark = pytest.mark.slow
expect.set_options(timeout=10_000)

TITLE = "Packing for Lisbon"
QUESTION = "What should I pack for Lisbon in May?"
ANSWER = "Light layers, **comfortable shoes** and a rain jacket."


def message(key: str, parent: str, role: str, text: str, at: float) -> dict[str, Any]:
    metadata = {"model_slug": "gpt-4o"} if role == "assistant" else {}
    return {
        "id": key,
        "parent": parent,
        "children": [],
        "message": {
            "id": key,
            "author": {"role": role},
            "create_time": at,
            "content": {"content_type": "text", "parts": [text]},
            "metadata": metadata,
        },
    }


# ChatGPT's export: a list of conversations, each a tree of nodes under "mapping".
CONVERSATIONS = [
    {
        "id": "6650a1b2-0000-4000-8000-000000000001",
        "title": TITLE,
        "create_time": 1716200000.0,
        "update_time": 1716200100.0,
        "current_node": "a1",
        "mapping": {
            "root": {"id": "root", "parent": None, "children": ["u1"], "message": None},
            "u1": message("u1", "root", "user", QUESTION, 1716200001.0),
            "a1": message("a1", "u1", "assistant", ANSWER, 1716200002.0),
        },
    },
    {"id": "6650a1b2-0000-4000-8000-000000000002", "title": "Half a conversation", "mapping": 7},
]


@pytest.fixture
def member(browser: Browser, server: Server, request: pytest.FixtureRequest) -> Iterator[Tab]:
    name = request.node.name.removeprefix("test_").split("[")[0][:40]
    account = make_member(server, f"{name.replace('_', '-')}@example.com", "Iris Importer")
    for opened in open_tab(browser, server):
        sign_in_as(opened, account)
        yield opened


def choose_file(page: Page, name: str, content: bytes) -> None:
    page.locator('input[type="file"]').set_input_files(
        files=[{"name": name, "mimeType": "application/json", "buffer": content}]
    )


def test_import_a_chatgpt_export_open_it_and_export_it(member: Tab) -> None:
    page = member.page
    page.goto("/settings/data")
    expect(page.get_by_role("heading", name="Import")).to_be_visible()
    choose_file(page, "conversations.json", json.dumps(CONVERSATIONS).encode())

    results = page.get_by_label("Import results")
    expect(results.get_by_role("status")).to_have_text("Imported 1 chat, 1 failed.")
    failed = results.get_by_role("list", name="Chats that failed").locator("li")
    expect(failed).to_have_count(1)
    expect(failed).to_contain_text("Half a conversation")
    expect(failed).to_contain_text('no "mapping"')
    expect(page.get_by_role("progressbar")).to_have_count(0)  # the upload is over
    screenshot(page, "import-results-desktop-light")
    page.set_viewport_size(PHONE)
    results.scroll_into_view_if_needed()
    screenshot(page, "import-results-phone-light")
    page.set_viewport_size({"width": 1280, "height": 820})

    # The same file again: nothing is doubled.
    choose_file(page, "conversations.json", json.dumps(CONVERSATIONS).encode())
    expect(results.get_by_role("status")).to_have_text(
        "Imported 0 chats, 1 was already here, 1 failed."
    )

    page.goto("/")
    history = page.get_by_role("navigation", name="Chat history")
    history.get_by_role("link", name=TITLE).click()
    expect(page.locator('article[aria-label="Your message"]')).to_contain_text(QUESTION)
    expect(page.locator('article[aria-label="Reply"] strong')).to_have_text("comfortable shoes")
    chat_id = page.url.rsplit("/", 1)[-1]

    row = history.locator(f'li[data-chat-id="{chat_id}"]')
    row.hover()
    row.get_by_role("button", name="Chat actions").click()
    page.get_by_role("menuitem", name="Export…").click()
    dialog = page.get_by_role("dialog", name=f"Export “{TITLE}”")
    with page.expect_download() as download:
        dialog.get_by_role("link", name="Markdown").click()
    markdown = download.value
    assert markdown.suggested_filename.endswith(".md"), markdown.suggested_filename
    text = Path(markdown.path()).read_text(encoding="utf-8")
    assert TITLE in text and QUESTION in text and "comfortable shoes" in text
    with page.expect_download() as download:
        dialog.get_by_role("link", name="JSON").click()
    exported = json.loads(Path(download.value.path()).read_text(encoding="utf-8"))
    assert QUESTION in json.dumps(exported)


def test_export_everything_from_settings(member: Tab) -> None:
    page = member.page
    page.goto("/settings/data")
    choose_file(page, "conversations.json", json.dumps(CONVERSATIONS[:1]).encode())
    expect(page.get_by_label("Import results").get_by_role("status")).to_have_text(
        "Imported 1 chat."
    )

    with page.expect_download() as download:
        page.get_by_role("group", name="All chats as").get_by_role("link", name="JSON").click()
    assert QUESTION in Path(download.value.path()).read_text(encoding="utf-8")

    with page.expect_download() as download:
        page.get_by_role("group", name="All chats as").get_by_role("link", name="Text").click()
    with zipfile.ZipFile(download.value.path()) as archive:
        texts = [archive.read(name).decode() for name in archive.namelist()]
    assert any(QUESTION in text for text in texts), archive.namelist()

    with page.expect_download() as download:
        page.get_by_role("link", name="Download everything (archive)").click()
    with zipfile.ZipFile(download.value.path()) as archive:
        assert "chats.json" in archive.namelist(), archive.namelist()


def test_a_file_that_is_no_export_is_refused_with_a_reason(member: Tab) -> None:
    page = member.page
    page.goto("/settings/data")
    choose_file(page, "notes.json", b"{not json")
    alert = page.get_by_role("alert")
    expect(alert).to_contain_text("notes.json")
    expect(alert).to_contain_text(re.compile("not valid JSON"))
    expect(page.get_by_label("Import results")).to_have_count(0)


def test_a_large_file_shows_its_upload_progress(member: Tab) -> None:
    page = member.page
    page.goto("/settings/data")
    # A slow uplink (CDP throttles what the page sends), and a file padded to 3 MB with JSON
    # whitespace: the upload takes a few seconds, long enough to watch the bar move.
    cdp = page.context.new_cdp_session(page)
    cdp.send("Network.enable")
    cdp.send(
        "Network.emulateNetworkConditions",
        {"offline": False, "latency": 0, "downloadThroughput": -1, "uploadThroughput": 600_000},
    )
    body = json.dumps(CONVERSATIONS[:1]).encode()
    choose_file(page, "conversations.json", body[:-1] + b" " * 3_000_000 + body[-1:])
    bar = page.get_by_role("progressbar", name="Upload progress")
    expect(bar).to_be_visible()
    expect(page.get_by_role("status")).to_contain_text(re.compile(r"Uploading conversations\.json"))
    expect(page.get_by_role("status")).to_contain_text(re.compile(r": [3-9]\d%"))
    value = float(bar.get_attribute("value") or 0)
    assert 0 < value < 100, value
    screenshot(page, "import-progress-desktop-light")
    results = page.get_by_label("Import results")
    expect(results.get_by_role("status")).to_have_text("Imported 1 chat.", timeout=30_000)
    expect(bar).to_have_count(0)
