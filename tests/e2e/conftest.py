"""Browser tests: the built web app in Debian's Chromium, against a real `confide serve`
(its own data directory, a free port on 127.0.0.1) whose only model server is the scripted
fake in fake_model.py.

Every page is watched: a JavaScript dialog, a request to any other origin, or a Content
Security Policy violation reported by the browser fails the test that caused it.

Skipped, with the reason, when Chromium or the built app is missing, and in the PostgreSQL
pass of `make test` (these tests are about the browser, not the database).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import (
    Browser,
    BrowserContext,
    ConsoleMessage,
    Dialog,
    Page,
    Request,
    sync_playwright,
)

from confide.api import home
from tests.conftest import PASSWORD
from tests.e2e.fake_model import ScriptedModel, serve_model
from tests.serving import Server

CHROMIUM = Path(os.environ.get("CONFIDE_TEST_CHROMIUM", "/usr/bin/chromium"))
ROOT = Path(__file__).resolve().parents[2]
# Screenshots go to reports/screenshots/ on every run; CONFIDE_UPDATE_SCREENSHOTS=1 writes them
# to docs/screenshots/ instead (the README's pictures), so a test run leaves the tree clean.
SCREENSHOTS = ROOT / (
    "docs/screenshots"
    if os.environ.get("CONFIDE_UPDATE_SCREENSHOTS") == "1"
    else "reports/screenshots"
)
ADMIN = {"email": "ada@example.com", "password": PASSWORD, "name": "Ada Lovelace"}
FAKE_MODEL = "fake-small"
DESKTOP = {"width": 1280, "height": 820}
PHONE = {"width": 375, "height": 740}


def _skip_reason(db_kind: str) -> str | None:
    if db_kind != "sqlite":
        return "the browser tests run once, in the SQLite pass"
    if not CHROMIUM.exists():
        return f"no Chromium at {CHROMIUM} (apt-get install chromium)"
    if not (home.APP_DIR / "index.html").is_file():
        return "the web app is not built (make app)"
    return None


@pytest.fixture(scope="session")
def e2e_ready(db_kind: str) -> None:
    reason = _skip_reason(db_kind)
    if reason:
        pytest.skip(reason)


@pytest.fixture(scope="module")
def fake_model(e2e_ready: None) -> Iterator[ScriptedModel]:
    yield from serve_model(ScriptedModel)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, fake_model: ScriptedModel) -> Iterator[Server]:
    """An instance with an admin and the fake model server as a connection."""
    yield from admin_server(tmp_path_factory.mktemp("e2e") / "data", fake_model)


def admin_server(
    data_dir: Path, model: ScriptedModel, settings: dict[str, str] | None = None
) -> Iterator[Server]:
    """A started instance (with these CONFIDE_* settings) that has an admin and `model` as a
    connection, stopped when the generator is closed."""
    running = Server(data_dir)
    running.settings.update(settings or {})
    try:
        running.start()
        with running.api() as api:
            api.post("/api/auth/signup", json=ADMIN).raise_for_status()
            connection = {"kind": "openai", "name": "Fake", "base_url": model.base_url}
            api.post("/api/connections", json=connection).raise_for_status()
        yield running
    finally:
        running.stop()


@pytest.fixture
def empty_server(tmp_path: Path, e2e_ready: None) -> Iterator[Server]:
    """A brand-new instance: no account yet."""
    running = Server(tmp_path / "data")
    try:
        running.start()
        yield running
    finally:
        running.stop()


# Module scope, not session: Playwright's sync API holds an asyncio loop on this thread while
# it runs, which the async tests of other modules must not find there.
@pytest.fixture(scope="module")
def browser(e2e_ready: None) -> Iterator[Browser]:
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=str(CHROMIUM),
            args=["--no-sandbox", "--disable-background-networking", "--disable-dev-shm-usage"],
        )
        yield launched
        launched.close()


# Reports CSP violations to the console, where the watcher below sees them. Injected by the
# DevTools protocol, so it is not itself subject to the page's CSP.
REPORT_CSP = """
document.addEventListener('securitypolicyviolation', (event) => {
  console.error(`CSP violation: ${event.violatedDirective} blocked ${event.blockedURI}`);
});
"""


@dataclass
class Watch:
    """What a page did that it must never do."""

    origin: str
    dialogs: list[str] = field(default_factory=list)
    foreign: list[str] = field(default_factory=list)
    csp: list[str] = field(default_factory=list)

    def attach(self, page: Page) -> None:
        page.on("dialog", self._dialog)
        page.on("request", self._request)
        page.on("console", self._console)

    def _dialog(self, dialog: Dialog) -> None:
        self.dialogs.append(f"{dialog.type}: {dialog.message}")
        dialog.dismiss()

    def _request(self, request: Request) -> None:
        url = request.url
        if not url.startswith((f"{self.origin}/", "data:", "blob:")):
            self.foreign.append(url)

    def _console(self, message: ConsoleMessage) -> None:
        text = message.text
        if "CSP violation" in text or "Content Security Policy" in text or "Refused to" in text:
            self.csp.append(text)

    def assert_clean(self) -> None:
        assert self.dialogs == [], f"a dialog opened: {self.dialogs}"
        assert self.foreign == [], f"requests left the origin: {self.foreign}"
        assert self.csp == [], f"the browser reported CSP violations: {self.csp}"


@dataclass
class Tab:
    page: Page
    watch: Watch
    server: Server


def open_tab(browser: Browser, server: Server, **options: Any) -> Iterator[Tab]:
    context: BrowserContext = browser.new_context(
        base_url=server.url, viewport=options.pop("viewport", DESKTOP), **options
    )
    context.add_init_script(REPORT_CSP)
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=server.url)
    page = context.new_page()
    page.set_default_timeout(10_000)
    watch = Watch(server.url)
    watch.attach(page)
    try:
        yield Tab(page, watch, server)
        watch.assert_clean()
    finally:
        context.close()


@pytest.fixture
def tab(browser: Browser, server: Server) -> Iterator[Tab]:
    """A watched page in a fresh browser context, signed in as the admin."""
    for opened in open_tab(browser, server):
        response = opened.page.request.post(
            f"{server.url}/api/auth/login",
            data={"email": ADMIN["email"], "password": ADMIN["password"]},
            headers={"X-Confide-CSRF": "1"},
        )
        assert response.ok, response.text()
        yield opened


def screenshot(page: Page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"))
