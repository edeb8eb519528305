"""Asking about a web page in a real browser: `#http://…` in the composer offers to read the
page, picking it makes a chip, and the reply's sources name the page by its heading, with an
"Open page" link in the passage's dialog. A page that cannot be read keeps the message and
its chips in the composer, with the server's reason. Also "Add a web page…" in the attach
menu, which checks the address. With screenshots, light and dark, desktop and phone.

A module of its own: its server may read pages from one local site (a small aiohttp app on
127.0.0.1), and its fake model cites the first passage whenever it is given sources."""

from __future__ import annotations

import asyncio
import re
import threading
from collections.abc import Iterator

import pytest
from aiohttp import web
from playwright.sync_api import Browser, Locator, Page, expect

from tests.e2e.conftest import ADMIN, PHONE, Server, Tab, admin_server, open_tab, screenshot
from tests.e2e.fake_model import CitingModel, ScriptedModel, serve_model
from tests.e2e.steps import DONE_REPLY, pick_fake_model, sign_in_as

pytestmark = pytest.mark.slow
expect.set_options(timeout=20_000)

HEADING = "Tending a winter garden"
ARTICLE = f"""<!doctype html>
<html><head><title>Garden notes</title></head>
<body><article>
<h1>{HEADING}</h1>
<p>Kale and leeks stand the frost best; cover the beds with straw in November.</p>
<p>Water in the morning so the leaves dry before night.</p>
</article></body></html>"""
READING_SECONDS = 1.5
QUESTION = "Which vegetables stand the frost best?"
ANSWER = ["Kale and leeks ", "stand the frost best [1]."]


class Site:
    """A small web site on 127.0.0.1 (a free port), in a thread of its own: an article at
    /article (after a moment), and 404 for anything else."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.runner: web.AppRunner | None = None
        self.port = 0

    @property
    def host(self) -> str:
        return f"127.0.0.1:{self.port}"

    @property
    def url(self) -> str:
        return f"http://{self.host}"

    def start(self) -> None:
        self.thread.start()
        asyncio.run_coroutine_threadsafe(self._start(), self.loop).result(10)

    async def _start(self) -> None:
        app = web.Application()
        app.router.add_get("/article", self._article)
        self.runner = web.AppRunner(app)
        await self.runner.setup()
        site = web.TCPSite(self.runner, "127.0.0.1", 0)
        await site.start()
        self.port = self.runner.addresses[0][1]

    async def _article(self, request: web.Request) -> web.Response:
        await asyncio.sleep(READING_SECONDS)  # long enough to see "Reading web page…"
        return web.Response(text=ARTICLE, content_type="text/html")

    def stop(self) -> None:
        if self.runner is not None:
            asyncio.run_coroutine_threadsafe(self.runner.cleanup(), self.loop).result(10)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)
        self.loop.close()


@pytest.fixture(scope="module")
def site(e2e_ready: None) -> Iterator[Site]:
    running = Site()
    running.start()
    yield running
    running.stop()


@pytest.fixture(scope="module")
def fake_model(e2e_ready: None) -> Iterator[ScriptedModel]:
    yield from serve_model(lambda: CitingModel(ANSWER))


@pytest.fixture(scope="module")
def server(
    tmp_path_factory: pytest.TempPathFactory, fake_model: ScriptedModel, site: Site
) -> Iterator[Server]:
    """An instance that may read pages from the local site, with an admin and the model."""
    allow = {"CONFIDE_WEB_PAGES_ALLOW": f"127.0.0.1:{site.port}"}
    yield from admin_server(tmp_path_factory.mktemp("e2e") / "data", fake_model, allow)


def chips(page: Page) -> Locator:
    return page.get_by_role("list", name="Attachments")


def box(page: Page) -> Locator:
    return page.get_by_label("Message", exact=True)


def test_ask_about_a_web_page(browser: Browser, server: Server, site: Site, tab: Tab) -> None:
    page = tab.page
    article = f"{site.url}/article"
    place = f"{site.host}/article"  # as a chip names it
    page.goto("/")
    pick_fake_model(page)

    _missing_page_keeps_the_message(page, site)
    box(page).fill("")
    box(page).press_sequentially(f"#{article}")
    picker = page.get_by_role("listbox", name="Files and knowledge")
    option = picker.get_by_role("option").first
    expect(option).to_have_text(f"Read web page {article}")
    expect(option).to_have_attribute("aria-selected", "true")
    page.mouse.move(0, 0)
    screenshot(page, "web-pages-picker-desktop-light")
    box(page).press("Enter")
    expect(picker).to_be_hidden()
    expect(box(page)).to_have_value("")
    chip = chips(page).locator("li", has_text=place)
    expect(chip).to_contain_text("Read when sent")
    expect(chip.locator("[title]").first).to_have_attribute("title", article)

    box(page).fill(QUESTION)
    box(page).press("Enter")
    expect(page.get_by_role("status").filter(has_text="Reading web page…")).to_be_visible()
    screenshot(page, "web-pages-reading-desktop-light")
    expect(page).to_have_url(re.compile(r"/c/[A-Za-z0-9_-]+$"))
    expect(chips(page)).to_have_count(0)
    asked = page.get_by_role("article", name="Your message")
    sent = asked.get_by_role("list", name="Attached")
    expect(sent).to_contain_text(place)
    link = sent.get_by_role("link", name=place)
    expect(link).to_have_attribute("href", article)
    expect(link).to_have_attribute("rel", "noopener noreferrer nofollow")

    reply = page.locator(DONE_REPLY)
    expect(reply).to_contain_text("Kale and leeks stand the frost best")
    sources = reply.get_by_role("list", name="Sources")
    source = sources.get_by_role("button", name=f"1 {HEADING} · {site.host}")
    expect(source).to_be_visible()
    page.mouse.move(0, 0)
    screenshot(page, "web-pages-desktop-light")

    source.click()
    dialog = page.get_by_role("dialog", name=f"Source 1: {HEADING}")
    _shows_the_page(dialog, article)
    screenshot(page, "web-pages-source-desktop-light")
    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()

    _add_a_page_from_the_menu(page, article, place)
    page.set_viewport_size(PHONE)
    page.wait_for_timeout(300)  # the sidebar slides away
    expect(source).to_be_visible()
    screenshot(page, "web-pages-phone-light")
    _dark(browser, server, page.url, site)


def _missing_page_keeps_the_message(page: Page, site: Site) -> None:
    """A page answering 404: the server says so, nothing is sent (not even an empty chat),
    and the text and the chip stay in the composer. A space typed after `#address` picks it too."""
    missing = f"{site.url}/gone"
    gone = f"{site.host}/gone"
    box(page).press_sequentially(f"#{missing} What does it say?")
    expect(box(page)).to_have_value("What does it say?")
    expect(chips(page).locator("li", has_text=gone)).to_be_visible()
    box(page).press("Enter")
    alert = page.get_by_role("alert").filter(has_text="cannot be read")
    expect(alert).to_contain_text(f"{missing} cannot be read")
    expect(alert).to_contain_text("404")
    expect(box(page)).to_have_value("What does it say?")
    expect(chips(page).locator("li", has_text=gone)).to_be_visible()
    expect(page.get_by_role("article", name="Your message")).to_have_count(0)
    # the chat made for the refused first message is gone again: no empty chat in the list
    expect(page.locator('a[href^="/c/"]')).to_have_count(0)
    assert page.url.endswith("/"), page.url
    page.mouse.move(0, 0)
    screenshot(page, "web-pages-error-desktop-light")
    chips(page).get_by_role("button", name=f"Remove {gone}").click()
    expect(chips(page)).to_have_count(0)


def _shows_the_page(dialog: Locator, url: str) -> None:
    expect(dialog).to_be_visible()
    expect(dialog.get_by_label("Passage")).to_contain_text("Kale and leeks")
    expect(dialog).to_contain_text(url)
    expect(dialog.get_by_role("link", name="Download file")).to_have_count(0)
    link = dialog.get_by_role("link", name="Open page")
    expect(link).to_have_attribute("href", url)
    expect(link).to_have_attribute("target", "_blank")
    expect(link).to_have_attribute("rel", "noopener noreferrer nofollow")
    expect(link).to_have_attribute("referrerpolicy", "no-referrer")


def _add_a_page_from_the_menu(page: Page, url: str, place: str) -> None:
    """The attach menu's "Add a web page…" checks the address before it becomes a chip, and
    keeps to three pages."""
    page.get_by_role("button", name="Attach files").click()
    page.get_by_role("menuitem", name="Add a web page…").click()
    dialog = page.get_by_role("dialog", name="Add a web page")
    address = dialog.get_by_label("Address")
    expect(address).to_be_focused()
    address.fill("javascript:alert(1)")
    dialog.get_by_role("button", name="Add").click()
    expect(dialog).to_contain_text("Enter an address that starts with http:// or https://.")
    expect(address).to_have_attribute("aria-invalid", "true")
    screenshot(page, "web-pages-add-desktop-light")
    address.fill(url)
    address.press("Enter")
    expect(dialog).to_be_hidden()
    expect(chips(page).locator("li", has_text=place)).to_be_visible()
    for n in (2, 3, 4):
        box(page).press_sequentially(f"#https://example.com/{n} ")
    expect(chips(page).get_by_role("listitem")).to_have_count(3)
    expect(page.get_by_text("A message can take up to 3 web pages.")).to_be_visible()
    expect(box(page)).to_have_value("")
    for name in (place, "example.com/2", "example.com/3"):
        chips(page).get_by_role("button", name=f"Remove {name}").click()
    expect(chips(page)).to_have_count(0)


def _dark(browser: Browser, server: Server, url: str, site: Site) -> None:
    article = f"{site.url}/article"
    for tab in open_tab(browser, server, color_scheme="dark"):
        sign_in_as(tab, ADMIN)
        page = tab.page
        page.goto(url)
        source = page.locator(DONE_REPLY).get_by_role("button", name=f"1 {HEADING} · {site.host}")
        expect(source).to_be_visible()
        page.mouse.move(0, 0)
        screenshot(page, "web-pages-desktop-dark")
        source.click()
        dialog = page.get_by_role("dialog", name=f"Source 1: {HEADING}")
        _shows_the_page(dialog, article)
        screenshot(page, "web-pages-source-desktop-dark")
        page.keyboard.press("Escape")
        page.set_viewport_size(PHONE)
        page.wait_for_timeout(300)  # the sidebar slides away
        box(page).press_sequentially(f"Also #{article}")
        expect(page.get_by_role("option", name=f"Read web page {article}")).to_be_visible()
        screenshot(page, "web-pages-phone-dark")
        box(page).press("Escape")
