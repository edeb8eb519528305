"""Asking about a file in a real browser: attach a PDF from the composer (uploaded with its
progress, then read by the server), send a question once it is ready, and see the reply's
sources: numbered chips, and `[n]` markers in the answer that open the passage the model was
given. Also the `#` picker, "Choose from my files", and a file that cannot be read blocking
Send until it is removed. With screenshots, light and dark, desktop and phone.

A module of its own: its fake model cites the first passage (`[1]`) whenever the request
carries numbered sources, so the markers can be clicked."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, FilePayload, Locator, Page, expect

from tests.e2e.conftest import ADMIN, PHONE, Server, Tab, open_tab, screenshot
from tests.e2e.fake_model import CitingModel, ScriptedModel, serve_model
from tests.e2e.steps import DONE_REPLY, pick_fake_model, sign_in_as
from tests.rag.samples import pdf_with_text

pytestmark = pytest.mark.slow
expect.set_options(timeout=15_000)

PASSAGE = "Revenue grew by twelve percent, led by the <b>northern</b> stores."
REPORT = pdf_with_text(
    [
        ["Quarterly report", "", PASSAGE],
        ["Outlook", "", "Next year is expected to be steady."],
    ]
)
PHOTO = b"\x89PNG\r\n\x1a\n" + bytes(200)
QUESTION = "How much did revenue grow last quarter?"
ANSWER = ["Revenue grew by ", "twelve percent [1]. ", "Note [9] and `a[1]` stay as text."]


@pytest.fixture(scope="module")
def fake_model(e2e_ready: None) -> Iterator[ScriptedModel]:
    yield from serve_model(lambda: CitingModel(ANSWER))


def payload(name: str, mime: str, data: bytes) -> FilePayload:
    return {"name": name, "mimeType": mime, "buffer": data}


def chips(page: Page) -> Locator:
    return page.get_by_role("list", name="Attachments")


def upload_from_device(page: Page, file: FilePayload) -> None:
    page.get_by_role("button", name="Attach files").click()
    with page.expect_file_chooser() as chooser:
        page.get_by_role("menuitem", name="Upload from this device").click()
    chooser.value.set_files(file)


def test_ask_about_a_pdf_and_open_its_sources(browser: Browser, server: Server, tab: Tab) -> None:
    page = tab.page
    handbook = {"name": "Company handbook", "description": "How we work"}
    made = page.request.post("/api/knowledge", data=handbook, headers={"X-Confide-CSRF": "1"})
    assert made.ok, made.text()
    page.goto("/")
    pick_fake_model(page)
    box = page.get_by_label("Message", exact=True)
    box.fill(QUESTION)

    upload_from_device(page, payload("quarterly.pdf", "application/pdf", REPORT))
    report = chips(page).locator("li", has_text="quarterly.pdf")
    expect(report).to_be_visible()
    expect(report).to_contain_text("Ready", timeout=60_000)
    expect(page.get_by_role("button", name="Send")).to_be_enabled()

    box.press("Enter")
    expect(page).to_have_url(re.compile(r"/c/[A-Za-z0-9_-]+$"))
    expect(chips(page)).to_have_count(0)  # the chips went with the message
    asked = page.get_by_role("article", name="Your message")
    expect(asked.get_by_role("list", name="Attached")).to_contain_text("quarterly.pdf")

    reply = page.locator(DONE_REPLY)
    expect(reply).to_contain_text("Revenue grew by twelve percent")
    sources = reply.get_by_role("list", name="Sources")
    source = sources.get_by_role("button", name=re.compile(r"^1 quarterly\.pdf · page 1$"))
    expect(source).to_be_visible()
    # Only [1] names a source, and not inside code: one marker, the rest plain text.
    expect(reply.get_by_role("button", name=re.compile(r"^Source \d+$"))).to_have_count(1)
    expect(reply).to_contain_text("Note [9] and a[1] stay as text.")

    source.click()
    dialog = page.get_by_role("dialog", name="Source 1: quarterly.pdf")
    _shows_the_passage(dialog)
    page.mouse.move(0, 0)
    screenshot(page, "citations-source-desktop-light")
    dialog.get_by_role("button", name="Close").click()
    expect(dialog).to_be_hidden()

    reply.get_by_role("button", name="Source 1").click()
    _shows_the_passage(dialog)
    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()

    _hash_picker_attaches(page)
    _unreadable_file_blocks_send(page)
    _choose_from_my_files(page)
    page.mouse.move(0, 0)
    screenshot(page, "citations-desktop-light")

    page.set_viewport_size(PHONE)
    expect(source).to_be_visible()
    page.wait_for_timeout(300)  # the sidebar slides away
    screenshot(page, "citations-phone-light")
    _picker_on_a_phone(page)
    source.click()
    expect(dialog).to_contain_text(PASSAGE)
    screenshot(page, "citations-source-phone-light")
    page.keyboard.press("Escape")
    _dark(browser, server, page.url)


def _shows_the_passage(dialog: Locator) -> None:
    expect(dialog).to_be_visible()
    expect(dialog.get_by_label("Passage")).to_contain_text(PASSAGE)  # its <b> as text
    expect(dialog.locator("b")).to_have_count(0)
    expect(dialog).to_contain_text("page 1")
    link = dialog.get_by_role("link", name="Download file")
    expect(link).to_have_attribute("href", re.compile(r"^/api/files/[A-Za-z0-9_-]+/content$"))


def _hash_picker_attaches(page: Page) -> None:
    """`#` then a few letters lists matching ready files; Enter attaches the highlighted one
    and takes the `#word` out of the text; Esc closes the list."""
    box = page.get_by_label("Message", exact=True)
    box.fill("")
    box.press_sequentially("And #quar")
    picker = page.get_by_role("listbox", name="Files and knowledge")
    expect(picker.get_by_role("option", name=re.compile("quarterly.pdf"))).to_be_visible()
    box.press("Enter")
    expect(picker).to_be_hidden()
    expect(box).to_have_value("And ")
    expect(chips(page).locator("li", has_text="quarterly.pdf")).to_contain_text("Ready")
    box.press_sequentially("#hand")
    expect(picker.get_by_role("option", name=re.compile("Company handbook"))).to_be_visible()
    box.press("Enter")
    expect(chips(page).locator("li", has_text="Company handbook")).to_contain_text("Ready")
    expect(box).to_have_value("And ")
    chips(page).get_by_role("button", name="Remove Company handbook").click()
    box.press_sequentially("#nothing-like-it")
    expect(picker).to_contain_text("No ready file or knowledge base matches")
    box.press("Escape")
    expect(picker).to_be_hidden()
    box.fill("And the outlook?")
    chips(page).get_by_role("button", name="Remove quarterly.pdf").click()
    expect(chips(page)).to_have_count(0)


def _unreadable_file_blocks_send(page: Page) -> None:
    """A picture has no text: its chip fails with the reason, and Send stays off (saying
    why) until it is removed."""
    upload_from_device(page, payload("photo.png", "image/png", PHOTO))
    photo = chips(page).locator("li", has_text="photo.png")
    expect(photo).to_contain_text("Failed", timeout=60_000)
    expect(photo).to_contain_text("no text")
    send = page.get_by_role("button", name="Send")
    expect(send).to_be_disabled()
    expect(page.get_by_text("Remove photo.png to send: it could not be read.")).to_be_visible()
    page.mouse.move(0, 0)
    screenshot(page, "citations-blocked-desktop-light")
    chips(page).get_by_role("button", name="Remove photo.png").click()
    expect(send).to_be_enabled()


def _picker_on_a_phone(page: Page) -> None:
    box = page.get_by_label("Message", exact=True)
    box.fill("")
    box.press_sequentially("Compare with #")
    picker = page.get_by_role("listbox", name="Files and knowledge")
    expect(picker.get_by_role("option")).to_have_count(1)  # quarterly.pdf is attached already
    chips(page).get_by_role("button", name="Remove quarterly.pdf").click()
    box.press("Backspace")
    box.press("#")
    expect(picker.get_by_role("option")).to_have_count(2)  # not the picture: it failed
    expect(picker.get_by_role("option").first).to_have_attribute("aria-selected", "true")
    screenshot(page, "citations-picker-phone-light")
    box.press("Escape")
    expect(picker).to_be_hidden()


def _choose_from_my_files(page: Page) -> None:
    page.get_by_role("button", name="Attach files").click()
    page.get_by_role("menuitem", name="Choose from my files").click()
    dialog = page.get_by_role("dialog", name="Choose from your files")
    files = dialog.get_by_role("list", name="Your files")
    expect(files.get_by_role("button", name=re.compile("photo.png"))).to_be_disabled()
    dialog.get_by_label("Search your files").fill("quart")
    expect(files.get_by_role("button")).to_have_count(1)
    files.get_by_role("button", name=re.compile("quarterly.pdf")).click()
    expect(files.get_by_role("button", name=re.compile("quarterly.pdf"))).to_have_attribute(
        "aria-pressed", "true"
    )
    dialog.get_by_label("Search your files").fill("")
    expect(files.get_by_role("button")).to_have_count(2)
    expect(dialog.get_by_role("list", name="Knowledge bases")).to_contain_text("Company handbook")
    screenshot(page, "citations-choose-desktop-light")
    dialog.get_by_role("button", name="Done").click()
    expect(chips(page).locator("li", has_text="quarterly.pdf")).to_contain_text("Ready")


def _dark(browser: Browser, server: Server, url: str) -> None:
    for tab in open_tab(browser, server, color_scheme="dark"):
        sign_in_as(tab, ADMIN)
        page = tab.page
        page.goto(url)
        reply = page.locator(DONE_REPLY)
        source = reply.get_by_role("button", name=re.compile(r"^1 quarterly\.pdf"))
        expect(source).to_be_visible()
        page.mouse.move(0, 0)
        screenshot(page, "citations-desktop-dark")
        source.click()
        expect(page.get_by_role("dialog", name="Source 1: quarterly.pdf")).to_contain_text(PASSAGE)
        screenshot(page, "citations-source-desktop-dark")
        page.keyboard.press("Escape")
        page.set_viewport_size(PHONE)
        page.wait_for_timeout(300)  # the sidebar slides away
        upload_from_device(page, payload("notes.pdf", "application/pdf", REPORT))
        expect(chips(page).locator("li", has_text="notes.pdf")).to_contain_text(
            "Ready", timeout=60_000
        )
        screenshot(page, "citations-phone-dark")
