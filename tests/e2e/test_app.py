"""The web app in a real browser: accounts, chatting, streaming, branches, chat actions,
hostile model output, and the screenshots in docs/screenshots/."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.conftest import PASSWORD
from tests.e2e.conftest import FAKE_MODEL, Server, Tab, open_tab, screenshot
from tests.e2e.fake_model import SLOW_WORDS, ScriptedModel
from tests.e2e.steps import DONE_REPLY, REPLY, new_chat, pick_fake_model, send

pytestmark = pytest.mark.slow
expect.set_options(timeout=10_000)

# --- accounts ------------------------------------------------------------------------------


@pytest.fixture
def fresh_tab(browser: Browser, empty_server: Server) -> Iterator[Tab]:
    yield from open_tab(browser, empty_server)


def test_first_visit_creates_the_admin_then_signs_out_and_in(fresh_tab: Tab) -> None:
    page = fresh_tab.page
    page.goto("/")
    # A new instance (GET /api/auth/setup: needs_admin) greets its first visitor with this.
    expect(page.get_by_role("heading", name="Create the admin account")).to_be_visible()
    page.get_by_label("Name").fill("Grace Hopper")
    page.get_by_label("Email").fill("grace@example.com")
    page.get_by_label("Password").fill("short")
    page.get_by_role("button", name="Create admin account").click()
    expect(page.locator(".field .error, .alert")).to_contain_text(re.compile("password", re.I))
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Create admin account").click()

    expect(page.get_by_role("heading", name=re.compile("on your mind, Grace"))).to_be_visible()
    expect(page).to_have_url(re.compile(r"/$"))
    me = page.request.get(f"{fresh_tab.server.url}/api/auth/me").json()
    assert me["role"] == "admin"

    page.get_by_role("button", name=re.compile("Grace Hopper")).click()
    page.get_by_role("menuitem", name="Sign out").click()
    expect(page).to_have_url(re.compile(r"/login$"))
    assert page.request.get(f"{fresh_tab.server.url}/api/auth/me").status == 401

    page.get_by_label("Email").fill("grace@example.com")
    page.get_by_label("Password").fill("not the password")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("alert")).to_be_visible()
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name=re.compile("on your mind, Grace"))).to_be_visible()


def test_a_pending_account_sees_the_waiting_page(browser: Browser, server: Server) -> None:
    for opened in open_tab(browser, server):
        page = opened.page
        page.goto("/signup")
        page.get_by_label("Name").fill("Pat Pending")
        page.get_by_label("Email").fill("pat@example.com")
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Create account").click()
        expect(page.get_by_role("heading", name="Waiting for approval")).to_be_visible()
        expect(page).to_have_url(re.compile(r"/pending$"))
        page.goto("/")  # a pending account cannot reach the chat
        expect(page.get_by_role("heading", name="Waiting for approval")).to_be_visible()


# --- chatting ------------------------------------------------------------------------------


def test_send_a_message_and_watch_the_reply_stream(tab: Tab) -> None:
    page = tab.page
    fetched: list[str] = []
    page.on("request", lambda request: fetched.append(request.url))
    new_chat(page, "Hello there")
    expect(page.locator('article[aria-label="Your message"]')).to_have_text(
        re.compile("Hello there")
    )
    expect(page.locator(DONE_REPLY)).to_contain_text(re.compile(r"Answer \d+: hello there\."))
    # The title is written after the first reply.
    chat_id = page.url.rsplit("/", 1)[-1]
    item = page.locator(f'li[data-chat-id="{chat_id}"]')
    expect(item).to_contain_text("About Hello there")
    expect(page.get_by_label("Message", exact=True)).to_be_focused()
    assert not [url for url in fetched if "katex" in url], "KaTeX loads only for math"

    page.locator(REPLY).get_by_role("button", name="Copy reply").click()
    copied = page.evaluate("navigator.clipboard.readText()")
    assert re.fullmatch(r"Answer \d+: hello there\.", copied)


def test_enter_sends_and_shift_enter_makes_a_new_line(tab: Tab) -> None:
    page = tab.page
    page.goto("/")
    pick_fake_model(page)
    box = page.get_by_label("Message", exact=True)
    box.fill("line one")
    box.press("Shift+Enter")
    box.type("line two")
    assert box.input_value() == "line one\nline two"
    box.press("Enter")
    expect(page.locator('article[aria-label="Your message"] .bubble')).to_have_text(
        "line one\nline two"
    )


def test_stop_a_reply_with_escape_keeps_what_it_wrote(tab: Tab) -> None:
    page = tab.page
    new_chat(page, "please be slow")
    reply = page.locator(REPLY)
    expect(reply).to_contain_text("word3")
    page.keyboard.press("Escape")
    expect(page.locator(DONE_REPLY)).to_contain_text("Stopped")
    assert f"word{SLOW_WORDS}" not in reply.inner_text()
    expect(page.get_by_role("button", name="Send")).to_be_visible()


def test_a_reply_being_written_resumes_after_a_reload(tab: Tab) -> None:
    page = tab.page
    new_chat(page, "slow again please")
    expect(page.locator(REPLY)).to_contain_text("word4")
    page.reload()
    expect(page.locator(REPLY)).to_have_attribute("aria-busy", "true")
    expect(page.locator(DONE_REPLY)).to_contain_text(f"word{SLOW_WORDS}", timeout=15_000)
    text = page.locator(f"{REPLY} .markdown").inner_text()
    words = text.split()
    assert words == [f"word{i}" for i in range(1, SLOW_WORDS + 1)], "lost or doubled text"


def test_regenerate_and_move_between_branches(tab: Tab) -> None:
    page = tab.page
    new_chat(page, "Tell me something")
    first = page.locator(DONE_REPLY)
    expect(first).to_contain_text(re.compile(r"Answer \d+"))
    first_text = page.locator(f"{REPLY} .markdown").inner_text()

    page.get_by_role("button", name="Regenerate").click()
    expect(page.locator(REPLY).get_by_text("2/2")).to_be_visible()
    expect(page.locator(DONE_REPLY)).to_contain_text(re.compile(r"Answer \d+"))
    second_text = page.locator(f"{REPLY} .markdown").inner_text()
    assert second_text != first_text

    page.get_by_role("button", name="Previous version").click()
    expect(page.locator(REPLY).get_by_text("1/2")).to_be_visible()
    expect(page.locator(f"{REPLY} .markdown")).to_have_text(first_text)

    page.reload()  # the branch shown is the one chosen, on the server too
    expect(page.locator(f"{REPLY} .markdown")).to_have_text(first_text)
    expect(page.locator(REPLY).get_by_text("1/2")).to_be_visible()


def test_editing_a_message_makes_a_branch(tab: Tab) -> None:
    page = tab.page
    new_chat(page, "First question")
    expect(page.locator(DONE_REPLY)).to_be_visible()
    send(page, "Second question")
    expect(page.locator(DONE_REPLY)).to_have_count(2)

    second = page.locator('article[aria-label="Your message"]').nth(1)
    second.hover()
    second.get_by_role("button", name="Edit message").click()
    editor = page.get_by_label("Edit your message")
    editor.fill("Second question, edited")
    editor.press("Enter")
    edited = page.locator('article[aria-label="Your message"]').nth(1)
    expect(edited).to_contain_text("Second question, edited")
    expect(edited.get_by_text("2/2")).to_be_visible()
    expect(page.locator(DONE_REPLY)).to_have_count(2)
    edited.hover()
    edited.get_by_role("button", name="Previous version").click()
    expect(page.locator('article[aria-label="Your message"]').nth(1)).to_contain_text(
        "Second question"
    )
    expect(page.locator('article[aria-label="Your message"]').nth(1)).not_to_contain_text("edited")


def test_the_model_picker_searches_and_shows_where_models_come_from(
    tab: Tab, fake_model: ScriptedModel
) -> None:
    page = tab.page
    preset = {"name": "Terse helper", "base_model": FAKE_MODEL, "system_prompt": "Be brief."}
    created = page.request.post(
        f"{tab.server.url}/api/models/presets", data=preset, headers={"X-Confide-CSRF": "1"}
    )
    assert created.ok, created.text()
    page.goto("/")
    picker = page.locator('button[aria-haspopup="listbox"]')
    expect(picker).not_to_contain_text("Loading")
    picker.click()
    options = page.get_by_role("option")
    expect(options.filter(has_text="fake-large")).to_contain_text("Fake")
    expect(options.filter(has_text="SmolLM2")).to_contain_text("On this server")
    expect(options.filter(has_text="Terse helper")).to_contain_text(f"Preset · {FAKE_MODEL}")
    page.get_by_label("Search models").fill("terse")
    expect(options).to_have_count(1)
    page.get_by_label("Search models").press("Enter")
    expect(picker).to_contain_text("Terse helper")
    send(page, "Hello preset")
    expect(page.locator(DONE_REPLY)).to_contain_text("Terse helper")
    asked = [r.json["messages"] for r in fake_model.requests if r.path.endswith("/completions")]
    mine = [messages for messages in asked if messages[-1]["content"] == "Hello preset"]
    assert mine, "the preset's base model answered"
    assert mine[0][0] == {"role": "system", "content": "Be brief."}


def test_the_theme_choice_applies_at_once_and_is_remembered(tab: Tab) -> None:
    page = tab.page
    page.emulate_media(color_scheme="light")
    page.goto("/")
    html = page.locator("html")
    expect(html).to_have_attribute("data-theme", "light")
    page.get_by_role("button", name=re.compile("Ada Lovelace")).click()
    page.get_by_role("menuitemradio", name="Dark").click()
    expect(html).to_have_attribute("data-theme", "dark")
    page.reload()
    expect(html).to_have_attribute("data-theme", "dark")
    page.get_by_role("button", name=re.compile("Ada Lovelace")).click()
    page.get_by_role("menuitemradio", name="System").click()
    expect(html).to_have_attribute("data-theme", "light")
    page.emulate_media(color_scheme="dark")
    expect(html).to_have_attribute("data-theme", "dark")


def test_a_model_error_shows_in_the_message_with_retry(tab: Tab) -> None:
    page = tab.page
    new_chat(page, "be flaky")
    failed = page.locator(DONE_REPLY)
    expect(failed.get_by_role("alert")).to_be_visible()
    failed.get_by_role("button", name="Retry").click()
    expect(page.locator(DONE_REPLY)).to_contain_text(re.compile(r"Answer \d+"))
    expect(page.locator(REPLY).get_by_text("2/2")).to_be_visible()
    expect(page.locator(REPLY).get_by_role("alert")).to_have_count(0)


def test_deleting_a_reply_shows_its_sibling_and_deleting_a_question_clears_below(
    tab: Tab,
) -> None:
    page = tab.page
    new_chat(page, "Something to delete")
    expect(page.locator(DONE_REPLY)).to_contain_text(re.compile(r"Answer \d+"))
    first_text = page.locator(f"{REPLY} .markdown").inner_text()
    page.get_by_role("button", name="Regenerate").click()
    expect(page.locator(REPLY).get_by_text("2/2")).to_be_visible()
    expect(page.locator(DONE_REPLY)).to_be_visible()

    page.locator(REPLY).get_by_role("button", name="Delete message").click()
    page.get_by_role("dialog").get_by_role("button", name="Delete").click()
    expect(page.locator(f"{REPLY} .markdown")).to_have_text(first_text)
    expect(page.locator(REPLY).get_by_role("group", name="Versions")).to_have_count(0)

    question = page.locator('article[aria-label="Your message"]')
    question.hover()
    question.get_by_role("button", name="Delete message").click()
    page.get_by_role("dialog").get_by_role("button", name="Delete").click()
    expect(page.locator("article")).to_have_count(0)
    page.reload()
    expect(page.locator("article")).to_have_count(0)


# --- chat actions --------------------------------------------------------------------------


def _chat(tab: Tab, title: str) -> str:
    response = tab.page.request.post(
        f"{tab.server.url}/api/chats", data={"title": title}, headers={"X-Confide-CSRF": "1"}
    )
    assert response.ok
    chat_id: str = response.json()["id"]
    return chat_id


def _menu(page: Page, chat_id: str, action: str) -> None:
    item = page.locator(f'li[data-chat-id="{chat_id}"]')
    item.hover()
    item.get_by_role("button", name="Chat actions").click()
    page.get_by_role("menuitem", name=action).click()


def test_rename_pin_archive_and_delete_chats(tab: Tab) -> None:
    page = tab.page
    keep = _chat(tab, "Trip planning")
    doomed = _chat(tab, "Scratch notes")
    page.goto("/")
    item = page.locator(f'li[data-chat-id="{keep}"]')
    expect(item).to_contain_text("Trip planning")

    _menu(page, keep, "Rename")
    title = page.get_by_label("Chat title")
    title.fill("Trip to Lisbon")
    title.press("Enter")
    expect(item).to_contain_text("Trip to Lisbon")

    _menu(page, keep, "Pin")
    pinned = page.locator("section", has=page.get_by_role("heading", name="Pinned"))
    expect(pinned.locator(f'li[data-chat-id="{keep}"]')).to_be_visible()

    page.reload()  # all of it was saved
    expect(pinned.locator(f'li[data-chat-id="{keep}"]')).to_contain_text("Trip to Lisbon")

    _menu(page, keep, "Archive")
    expect(page.locator(f'nav li[data-chat-id="{keep}"]')).to_have_count(0)
    page.get_by_role("button", name=re.compile("Ada Lovelace")).click()
    page.get_by_role("menuitem", name="Archived chats").click()
    expect(page.get_by_role("link", name="Trip to Lisbon")).to_be_visible()
    page.get_by_role("button", name="Unarchive").click()
    expect(page.locator(f'nav li[data-chat-id="{keep}"]')).to_be_visible()

    _menu(page, doomed, "Delete")
    dialog = page.get_by_role("dialog")
    expect(dialog).to_contain_text("Scratch notes")
    dialog.get_by_role("button", name="Cancel").click()
    expect(page.locator(f'li[data-chat-id="{doomed}"]')).to_be_visible()
    _menu(page, doomed, "Delete")
    page.get_by_role("dialog").get_by_role("button", name="Delete").click()
    expect(page.locator(f'li[data-chat-id="{doomed}"]')).to_have_count(0)
    gone = page.request.get(f"{tab.server.url}/api/chats/{doomed}")
    assert gone.status == 404


# --- hostile output ------------------------------------------------------------------------


def test_hostile_model_output_neither_runs_nor_fetches(tab: Tab) -> None:
    page = tab.page
    new_chat(page, "xss please")
    reply = page.locator(DONE_REPLY)
    expect(reply).to_contain_text("A real link")
    page.wait_for_timeout(500)  # give anything that might fire the time to do it

    markdown = page.locator(f"{REPLY} .markdown")
    for tag in ["img", "svg", "script", "iframe", "form"]:
        assert markdown.locator(tag).count() == 0, tag
    placeholder = markdown.locator(".image-placeholder")
    expect(placeholder).to_contain_text("evil.example")
    expect(placeholder.get_by_role("link", name="Open image")).to_have_attribute(
        "rel", "noopener noreferrer nofollow"
    )
    expect(markdown.get_by_role("link", name="docs")).to_have_attribute("target", "_blank")
    assert markdown.get_by_role("link", name="click me").count() == 0
    assert markdown.get_by_role("link", name="data link").count() == 0
    # The raw HTML is shown as text, not run.
    expect(markdown).to_contain_text("<img src=x onerror=")
    page.mouse.move(0, 0)
    screenshot(page, "hostile-output-light")
    # tab's teardown asserts: no dialog, no request to evil.example, no CSP violation.
