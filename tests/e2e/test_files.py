"""Settings > Files in a real browser: upload two documents at once through the file input
and one by dropping it, watch them become ready, download one (the same bytes come back), see
a picture fail with its reason, an upload over the per-file limit refused with the server's
reason, and delete a file after confirming. With screenshots, light and dark, desktop and
phone.

A module of its own, with its own server: one whose per-file limit is small
(`CONFIDE_FILE_MAX_BYTES`), so a refused upload is quick to make."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, FilePayload, Locator, Page, expect

from tests.e2e.conftest import ADMIN, PHONE, Server, open_tab, screenshot
from tests.e2e.steps import sign_in_as

pytestmark = pytest.mark.slow
expect.set_options(timeout=10_000)
MAX_BYTES = 64 * 1024
READY = re.compile(r"^Ready · \d+ passages?$")
NOTES = b"# Field notes\n\nThe heron came back on Tuesday.\n\n- wind from the west\n- water cold\n"
RECIPES = b"dish,minutes\nlentil soup,40\nflatbread,25\n"
PHOTO = b"\x89PNG\r\n\x1a\n" + bytes(200)
EMPTY = "Upload documents (PDF, Word, PowerPoint, Excel, CSV, HTML, Markdown, text, code, JSON)"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, e2e_ready: None) -> Iterator[Server]:
    running = Server(
        tmp_path_factory.mktemp("e2e-files") / "data",
        settings={"CONFIDE_FILE_MAX_BYTES": str(MAX_BYTES)},
    )
    try:
        running.start()
        with running.api() as api:
            api.post("/api/auth/signup", json=ADMIN).raise_for_status()
        yield running
    finally:
        running.stop()


def upload(name: str, mime: str, data: bytes) -> FilePayload:
    return {"name": name, "mimeType": mime, "buffer": data}


def row(page: Page, name: str) -> Locator:
    return page.get_by_role("list", name="Files").locator("li", has_text=name)


def open_files(page: Page) -> None:
    page.goto("/settings")
    page.get_by_role("navigation", name="Settings").get_by_role("link", name="Files").click()
    expect(page).to_have_url(re.compile(r"/settings/files$"))
    expect(page.get_by_role("heading", name="Files", level=1)).to_be_visible()


def test_upload_download_refuse_and_delete_files(browser: Browser, server: Server) -> None:
    for tab in open_tab(browser, server):
        page = tab.page
        sign_in_as(tab, ADMIN)
        open_files(page)
        expect(page.get_by_text(EMPTY)).to_be_visible()
        screenshot(page, "files-empty-desktop-light")

        chooser = page.get_by_label("Upload files")
        chooser.set_input_files(
            [
                upload("field-notes.md", "text/markdown", NOTES),
                upload("recipes.csv", "text/csv", RECIPES),
            ]
        )
        for name in ("field-notes.md", "recipes.csv"):
            expect(row(page, name).locator(".badge")).to_have_text(READY, timeout=60_000)
        expect(page.get_by_role("list", name="Files").locator("li")).to_have_count(2)
        expect(row(page, "field-notes.md")).to_contain_text("Markdown")
        expect(row(page, "recipes.csv")).to_contain_text("CSV")
        expect(page.get_by_role("status").filter(has_text="is ready")).to_be_attached()

        _download_gives_the_same_bytes(page)
        _reindex_reads_it_again(page)
        _drop_a_file(page)
        _unreadable_fails_with_a_reason(page)
        _too_large_is_refused(page)
        page.mouse.move(0, 0)
        screenshot(page, "files-desktop-light")
        page.set_viewport_size(PHONE)
        expect(
            row(page, "recipes.csv").get_by_role("button", name="Delete recipes.csv")
        ).to_be_visible()
        screenshot(page, "files-phone-light")
        page.set_viewport_size({"width": 1280, "height": 820})
        _dark(browser, server)

        page.get_by_role("button", name="Dismiss the error for big.pdf").click()
        row(page, "recipes.csv").get_by_role("button", name="Delete recipes.csv").click()
        dialog = page.get_by_role("dialog", name="Delete this file?")
        expect(dialog).to_contain_text("recipes.csv")
        dialog.get_by_role("button", name="Delete").click()
        expect(row(page, "recipes.csv")).to_have_count(0)
        expect(page.get_by_role("list", name="Files").locator("li")).to_have_count(3)
        expect(page.get_by_label("Upload files")).to_be_focused()
        expect(page.get_by_role("status").filter(has_text="Deleted recipes.csv.")).to_be_attached()
        page.reload()
        expect(row(page, "field-notes.md")).to_be_visible()
        expect(row(page, "recipes.csv")).to_have_count(0)


def _download_gives_the_same_bytes(page: Page) -> None:
    link = row(page, "field-notes.md").get_by_role("link", name="Download field-notes.md")
    expect(link).to_have_attribute("href", re.compile(r"^/api/files/[A-Za-z0-9_-]+/content$"))
    with page.expect_download() as download:
        link.click()
    assert download.value.suggested_filename == "field-notes.md"
    with open(download.value.path(), "rb") as saved:
        assert saved.read() == NOTES


def _reindex_reads_it_again(page: Page) -> None:
    notes = row(page, "field-notes.md")
    notes.get_by_role("button", name="Re-index field-notes.md").click()
    expect(notes.locator(".badge")).to_have_text(READY, timeout=60_000)


def _too_large_is_refused(page: Page) -> None:
    page.get_by_label("Upload files").set_input_files(
        upload("big.pdf", "application/pdf", b"%PDF-1.4\n" + b"0" * (MAX_BYTES + 4096))
    )
    uploads = page.get_by_role("list", name="Uploads")
    expect(uploads.get_by_role("alert")).to_have_text("The file is larger than the 64 KB limit.")
    expect(page.get_by_role("list", name="Files").locator("li")).to_have_count(4)


def _drop_a_file(page: Page) -> None:
    """Files dropped on the panel upload like chosen ones."""
    dropped = page.evaluate_handle(
        """() => {
            const data = new DataTransfer();
            const file = new File(['Plain words to read.'], 'dropped.txt', { type: 'text/plain' });
            data.items.add(file);
            return data;
        }"""
    )
    panel = page.get_by_role("region", name="Your files")
    panel.dispatch_event("dragenter", {"dataTransfer": dropped})
    expect(panel.get_by_text("Drop to upload")).to_be_visible()
    panel.dispatch_event("drop", {"dataTransfer": dropped})
    expect(panel.get_by_text("Drop to upload")).to_have_count(0)
    expect(row(page, "dropped.txt").locator(".badge")).to_have_text(READY, timeout=60_000)


def _unreadable_fails_with_a_reason(page: Page) -> None:
    """A picture has no text: it fails and says why; re-indexing could only fail again, so
    it is not offered."""
    page.get_by_label("Upload files").set_input_files(upload("photo.png", "image/png", PHOTO))
    photo = row(page, "photo.png")
    expect(photo.locator(".badge")).to_have_text("Failed", timeout=60_000)
    expect(photo).to_contain_text("it has no text")
    expect(
        page.get_by_role("status").filter(has_text="photo.png could not be read")
    ).to_be_attached()
    expect(photo.get_by_role("button", name="Re-index photo.png")).to_have_count(0)
    expect(photo.get_by_role("button", name="Delete photo.png")).to_be_enabled()


def _dark(browser: Browser, server: Server) -> None:
    for tab in open_tab(browser, server, color_scheme="dark"):
        sign_in_as(tab, ADMIN)
        page: Page = tab.page
        page.goto("/settings/files")
        expect(row(page, "field-notes.md").locator(".badge")).to_have_text(READY)
        screenshot(page, "files-desktop-dark")
        page.set_viewport_size(PHONE)
        expect(row(page, "recipes.csv")).to_be_visible()
        screenshot(page, "files-phone-dark")
