"""Settings > Knowledge in a real browser: create a knowledge base (the server's refusal shown
under its field), add one of my ready files from the searchable picker, rename it, share it
with a group and with a person by address (a mistyped address and one no account uses
refused, by the screen and by the server), see it as a member of that group (read-only), and
delete it (its files are kept). Also Admin > instance settings' embedding model: the built-in
one offered, a model that cannot make embeddings refused with the server's reason, inline, and
one that can accepted, with the files being re-embedded counted; and its reranking model,
"None" first, one that cannot rerank refused inline, one that can kept. With screenshots,
light and dark, desktop and phone.

A module of its own: its fake model server makes embeddings and reranks with `fake-small`
(embeddings slowly, so the re-embedding can be watched) and refuses both with `fake-large`, a
chat model only (for reranking, as a server without `/rerank` does)."""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import Iterator

import httpx
import pytest
from aiohttp import web
from playwright.sync_api import Browser, Locator, Page, expect

from tests.e2e.conftest import ADMIN, DESKTOP, FAKE_MODEL, PHONE, Server, open_tab, screenshot
from tests.e2e.fake_model import ScriptedModel, serve_model
from tests.e2e.steps import ADMIN_LOGIN, make_member, sign_in_as

pytestmark = pytest.mark.slow
expect.set_options(timeout=10_000)
READY = re.compile(r"^Ready · \d+ passages?$")
NOTES = b"# Marsh notes\n\nThe heron came back on Tuesday.\n\n- wind from the west\n- water cold\n"
RECIPES = b"dish,minutes\nlentil soup,40\nflatbread,25\n"
GRACE = ("grace@example.com", "Grace Hopper")
EMPTY = "Attach it to a message with # in the composer, or to a preset"
CHAT_ONLY = "fake-large"
PROBE = "Confide checks that this model makes embeddings."


class EmbeddingModel(ScriptedModel):
    """`fake-large` answers embeddings with OpenAI's 400, and reranking with a 404; `fake-small`
    makes embeddings a second late (the probe aside), so the files waiting to be re-embedded
    can be seen, and reranks."""

    async def embeddings(self, request: web.Request) -> web.StreamResponse:
        body = await request.json()
        if body.get("model") == CHAT_ONLY:
            error = {
                "message": f"{CHAT_ONLY} does not support embeddings.",
                "type": "invalid_request_error",
            }
            return web.json_response({"error": error}, status=400)
        if body.get("input") != [PROBE]:
            await asyncio.sleep(1)
        return await super().embeddings(request)

    async def rerank(self, request: web.Request) -> web.StreamResponse:
        body = await request.json()
        if body.get("model") == CHAT_ONLY:
            return web.json_response({"detail": "Not Found"}, status=404)
        return await super().rerank(request)


@pytest.fixture(scope="module")
def fake_model(e2e_ready: None) -> Iterator[ScriptedModel]:
    yield from serve_model(EmbeddingModel)


def _upload_ready(api: httpx.Client, name: str, mime: str, data: bytes) -> str:
    response = api.post("/api/files", files={"file": (name, data, mime)})
    response.raise_for_status()
    file_id: str = response.json()["id"]
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        status = api.get(f"/api/files/{file_id}").json()["status"]
        if status == "ready":
            return file_id
        assert status != "failed", name
        time.sleep(0.2)
    raise AssertionError(f"{name} was not ready in 60 s")


@pytest.fixture(scope="module")
def grace(server: Server) -> Iterator[dict[str, str]]:
    """A member in the group "Marsh team"; the admin has two ready files."""
    account = make_member(server, *GRACE)
    with server.api() as api:
        login = {"email": account["email"], "password": account["password"]}
        api.post("/api/auth/login", json=login).raise_for_status()
        grace_id = api.get("/api/auth/me").json()["id"]
    with server.api() as admin:
        admin.post("/api/auth/login", json=ADMIN_LOGIN).raise_for_status()
        group = admin.post("/api/groups", json={"name": "Marsh team"}).json()
        admin.put(f"/api/groups/{group['id']}/members/{grace_id}").raise_for_status()
        _upload_ready(admin, "field-notes.md", "text/markdown", NOTES)
        _upload_ready(admin, "recipes.csv", "text/csv", RECIPES)
    yield account


def heading(page: Page, name: str) -> Locator:
    return page.get_by_role("heading", name=name, level=1)


def test_create_fill_share_and_delete_a_knowledge_base(
    browser: Browser, server: Server, grace: dict[str, str]
) -> None:
    for tab in open_tab(browser, server):
        page = tab.page
        sign_in_as(tab, ADMIN)
        page.goto("/settings")
        page.get_by_role("navigation", name="Settings").get_by_role(
            "link", name="Knowledge"
        ).click()
        expect(page).to_have_url(re.compile(r"/settings/knowledge$"))
        expect(page.get_by_text(EMPTY)).to_be_visible()
        screenshot(page, "knowledge-empty-desktop-light")

        _create(page)
        _add_a_file(page)
        _rename(page)
        _share_with_the_group(page)
        page.mouse.move(0, 0)
        screenshot(page, "knowledge-desktop-light")
        page.set_viewport_size(PHONE)
        expect(page.get_by_role("button", name="Remove field-notes.md")).to_be_visible()
        screenshot(page, "knowledge-phone-light")
        page.set_viewport_size(DESKTOP)
        _dark(browser, server)
        _read_only_for_the_group(browser, server, grace)
        _delete_keeps_the_files(page, server)


def _create(page: Page) -> None:
    page.get_by_role("button", name="New knowledge base").click()
    dialog = page.get_by_role("dialog", name="New knowledge base")
    dialog.get_by_role("button", name="Create").click()
    expect(dialog.get_by_text("Give the knowledge base a name.")).to_be_visible()
    dialog.get_by_label("Name").fill("Field guide")
    dialog.get_by_label("Description").fill("x" * 2001)  # the server refuses it
    dialog.get_by_role("button", name="Create").click()
    description = dialog.get_by_label("Description")
    expect(description).to_have_attribute("aria-invalid", "true")
    expect(dialog.locator(".field .error")).to_have_text(re.compile(r"2,?000 characters"))
    screenshot(page, "knowledge-new-desktop-light")
    description.fill("What we saw on the marsh.\nBirds first.")
    dialog.get_by_role("button", name="Create").click()
    expect(page).to_have_url(re.compile(r"/settings/knowledge/[A-Za-z0-9_-]+$"))
    expect(heading(page, "Field guide")).to_be_focused()
    expect(page.get_by_text("No files yet.")).to_be_visible()
    nav = page.get_by_role("navigation", name="Settings")
    expect(nav.get_by_role("link", name="Knowledge")).to_have_attribute("aria-current", "page")


def _add_a_file(page: Page) -> None:
    page.get_by_role("button", name="Add files").click()
    dialog = page.get_by_role("dialog", name="Add files")
    choices = dialog.get_by_role("list", name="Your ready files")
    expect(choices.get_by_role("checkbox")).to_have_count(2)
    dialog.get_by_label("Search your files").fill("NOTES")
    expect(choices.get_by_role("checkbox")).to_have_count(1)
    dialog.get_by_label("Search your files").fill("nothing like it")
    expect(dialog.get_by_text("No ready file’s name matches “nothing like it”.")).to_be_visible()
    dialog.get_by_label("Search your files").fill("notes")
    dialog.get_by_label("Search your files").fill("")
    choices.get_by_label("field-notes.md").check()
    expect(dialog.get_by_text("1 chosen")).to_be_visible()
    screenshot(page, "knowledge-add-files-desktop-light")
    dialog.get_by_role("button", name="Add 1 file").click()
    expect(dialog).to_be_hidden()
    files = page.get_by_role("list", name="Files in Field guide")
    expect(files.locator("li")).to_have_count(1)
    expect(files.locator("li", has_text="field-notes.md").locator(".badge")).to_have_text(READY)
    expect(page.get_by_text("1 file · created")).to_be_visible()


def _rename(page: Page) -> None:
    page.get_by_role("button", name="Edit").click()
    form = page.get_by_role("form", name="Rename the knowledge base")
    form.get_by_label("Name").fill("Marsh field guide")
    form.get_by_role("button", name="Save").click()
    expect(heading(page, "Marsh field guide")).to_be_visible()
    expect(page.get_by_text("What we saw on the marsh.")).to_be_visible()


def _share_with_the_group(page: Page) -> None:
    expect(page.get_by_text("Only you", exact=True)).to_be_visible()
    page.get_by_role("button", name="Share").click()
    dialog = page.get_by_role("dialog", name="Share")
    expect(dialog.get_by_text("Not shared: only you can see it.")).to_be_visible()
    expect(dialog.get_by_label("Group", exact=True)).to_have_value(re.compile(".+"))
    expect(dialog.get_by_role("button", name="Save")).to_be_disabled()
    dialog.get_by_role("button", name="Add the group").click()
    shared = dialog.get_by_role("list", name="Shared with")
    expect(shared).to_contain_text("Marsh team")
    expect(shared.get_by_label("Permission for Marsh team")).to_have_value("read")
    _share_with_people(dialog)
    screenshot(page, "knowledge-share-desktop-light")
    dialog.get_by_role("button", name="Save").click()
    expect(dialog).to_be_hidden()
    expect(page.get_by_text("Shared with 2 groups or people")).to_be_visible()
    page.get_by_role("button", name="Share").click()
    expect(shared.get_by_label(f"Permission for {GRACE[0]}")).to_have_value("read")
    dialog.get_by_role("button", name="Cancel").click()


def _share_with_people(dialog: Locator) -> None:
    """A person by address: checked as typed, then by the server (which names an address no
    account uses); nothing is saved until every address is good."""
    address = dialog.get_by_label("Their email address")
    address.fill("grace at the marsh")
    dialog.get_by_role("button", name="Add the person").click()
    expect(dialog.get_by_text("grace at the marsh is not an email address.")).to_be_visible()
    expect(address).to_have_attribute("aria-invalid", "true")
    address.fill("nobody@example.com")
    address.press("Enter")
    shared = dialog.get_by_role("list", name="Shared with")
    expect(shared).to_contain_text("nobody@example.com")
    dialog.get_by_role("button", name="Save").click()
    expect(dialog.get_by_role("alert")).to_have_text(
        "No approved, active account uses the address nobody@example.com."
    )
    screenshot(dialog.page, "knowledge-share-refused-desktop-light")
    dialog.get_by_role("button", name="Stop sharing with nobody@example.com").click()
    expect(dialog.get_by_role("alert")).to_have_count(0)
    address.fill(GRACE[0].upper())
    dialog.get_by_role("button", name="Add the person").click()
    expect(shared.get_by_label(f"Permission for {GRACE[0]}")).to_have_value("read")


def _read_only_for_the_group(browser: Browser, server: Server, grace: dict[str, str]) -> None:
    for tab in open_tab(browser, server, viewport=PHONE):
        sign_in_as(tab, grace)
        page = tab.page
        page.goto("/settings/knowledge")
        row = page.get_by_role("list", name="Knowledge bases").locator("li")
        expect(row).to_have_count(1)
        expect(row).to_contain_text("Shared with you · read")
        expect(row).to_contain_text("1 file")
        screenshot(page, "knowledge-shared-phone-light")
        row.get_by_role("link", name="Marsh field guide").click()
        expect(heading(page, "Marsh field guide")).to_be_visible()
        expect(page.get_by_text("You may use it in chats, not change it.")).to_be_visible()
        files = page.get_by_role("list", name="Files in Marsh field guide")
        expect(files).to_contain_text("field-notes.md")
        for name in ("Edit", "Share", "Delete", "Add files", "Remove field-notes.md"):
            expect(page.get_by_role("button", name=name)).to_have_count(0)
        screenshot(page, "knowledge-reader-phone-light")


def _delete_keeps_the_files(page: Page, server: Server) -> None:
    page.get_by_role("button", name="Delete").click()
    dialog = page.get_by_role("dialog", name="Delete this knowledge base?")
    expect(dialog).to_contain_text("Its files are kept")
    dialog.get_by_role("button", name="Delete").click()
    expect(page).to_have_url(re.compile(r"/settings/knowledge$"))
    expect(page.get_by_text(EMPTY)).to_be_visible()
    with server.api() as admin:
        admin.post("/api/auth/login", json=ADMIN_LOGIN).raise_for_status()
        names = {f["name"] for f in admin.get("/api/files").json()["items"]}
    assert names == {"field-notes.md", "recipes.csv"}


def _dark(browser: Browser, server: Server) -> None:
    for tab in open_tab(browser, server, color_scheme="dark"):
        sign_in_as(tab, ADMIN)
        page = tab.page
        page.goto("/settings/knowledge")
        page.get_by_role("link", name="Marsh field guide").click()
        expect(page.get_by_role("list", name="Files in Marsh field guide")).to_be_visible()
        screenshot(page, "knowledge-desktop-dark")
        page.set_viewport_size(PHONE)
        screenshot(page, "knowledge-phone-dark")
        page.goto("/settings/knowledge")
        expect(page.get_by_role("list", name="Knowledge bases")).to_be_visible()
        screenshot(page, "knowledge-list-phone-dark")


def test_embedding_model_offers_the_built_in_one_and_explains_a_refusal(
    browser: Browser,
    server: Server,
    grace: dict[str, str],  # for the admin's two files, to be re-embedded
) -> None:
    for tab in open_tab(browser, server):
        page = tab.page
        sign_in_as(tab, ADMIN)
        page.goto("/admin/instance")
        panel = page.get_by_role("region", name="Embedding model")
        select = panel.get_by_label("Embedding model")
        expect(select).to_have_value("")
        expect(select.locator("option:checked")).to_have_text("Built-in all-MiniLM-L6-v2 (offline)")
        expect(panel).to_contain_text("until then files are found by their words")
        expect(panel.get_by_role("button", name="Save")).to_be_disabled()

        select.select_option(CHAT_ONLY)
        panel.get_by_role("button", name="Save").click()
        error = panel.get_by_role("alert")
        expect(error).to_contain_text(f"{CHAT_ONLY} cannot make embeddings")
        expect(select).to_have_attribute("aria-invalid", "true")
        with server.api() as admin:
            admin.post("/api/auth/login", json=ADMIN_LOGIN).raise_for_status()
            assert admin.get("/api/settings").json()["embedding_model"] == ""
        panel.scroll_into_view_if_needed()
        screenshot(page, "embedding-model-desktop-light")
        page.set_viewport_size(PHONE)
        panel.scroll_into_view_if_needed()
        screenshot(page, "embedding-model-phone-light")
        page.set_viewport_size(DESKTOP)

        select.select_option(FAKE_MODEL)
        expect(error).to_have_count(0)
        panel.get_by_role("button", name="Save").click()
        expect(panel.get_by_role("status").filter(has_text="Saved.")).to_be_visible()
        expect(select).to_have_value(FAKE_MODEL)
        # The admin's two files (the other test's) were embedded by the built-in model.
        waiting = panel.get_by_role("status").filter(has_text="being re-embedded")
        expect(waiting).to_have_text(re.compile(r"^[12] files? being re-embedded$"))
        screenshot(page, "embedding-model-reembedding-desktop-light")
        expect(waiting).to_have_count(0, timeout=30_000)  # asked again every 5 s

    for tab in open_tab(browser, server, color_scheme="dark"):
        sign_in_as(tab, ADMIN)
        tab.page.goto("/admin/instance")
        panel = tab.page.get_by_role("region", name="Embedding model")
        expect(panel.get_by_label("Embedding model")).to_have_value(FAKE_MODEL)
        panel.scroll_into_view_if_needed()
        screenshot(tab.page, "embedding-model-desktop-dark")


def test_reranking_model_offers_none_and_explains_a_refusal(
    browser: Browser, server: Server
) -> None:
    for tab in open_tab(browser, server):
        page = tab.page
        sign_in_as(tab, ADMIN)
        page.goto("/admin/instance")
        expect(heading(page, "Instance settings")).to_be_visible()
        expect(page).to_have_title("Admin · Instance settings · Confide")
        nav = page.get_by_role("navigation", name="Admin")
        expect(nav.get_by_role("link", name="Instance settings")).to_have_attribute(
            "aria-current", "page"
        )
        panel = page.get_by_role("region", name="Reranking model")
        select = panel.get_by_label("Reranking model")
        expect(select).to_have_value("")
        expect(select.locator("option")).to_have_text(
            ["None", f"{FAKE_MODEL} — Fake", f"{CHAT_ONLY} — Fake"]
        )
        expect(panel).to_contain_text("when it fails, search works as before")
        expect(panel.get_by_role("button", name="Save")).to_be_disabled()

        select.select_option(CHAT_ONLY)
        panel.get_by_role("button", name="Save").click()
        error = panel.get_by_role("alert")
        expect(error).to_contain_text(f"{CHAT_ONLY} cannot rerank")
        expect(select).to_have_attribute("aria-invalid", "true")
        with server.api() as admin:
            admin.post("/api/auth/login", json=ADMIN_LOGIN).raise_for_status()
            assert admin.get("/api/settings").json()["rerank_model"] == ""
        panel.scroll_into_view_if_needed()
        screenshot(page, "rerank-model-error-desktop-light")
        page.set_viewport_size(PHONE)
        panel.scroll_into_view_if_needed()
        screenshot(page, "rerank-model-error-phone-light")
        page.set_viewport_size(DESKTOP)

        select.select_option(FAKE_MODEL)
        expect(error).to_have_count(0)
        panel.get_by_role("button", name="Save").click()
        expect(panel.get_by_role("status").filter(has_text="Saved.")).to_be_visible()
        page.reload()
        panel = page.get_by_role("region", name="Reranking model")
        expect(panel.get_by_label("Reranking model")).to_have_value(FAKE_MODEL)
        panel.scroll_into_view_if_needed()
        screenshot(page, "rerank-model-desktop-light")

    for tab in open_tab(browser, server, color_scheme="dark"):
        sign_in_as(tab, ADMIN)
        tab.page.goto("/admin/instance")
        panel = tab.page.get_by_role("region", name="Reranking model")
        expect(panel.get_by_label("Reranking model")).to_have_value(FAKE_MODEL)
        panel.scroll_into_view_if_needed()
        screenshot(tab.page, "rerank-model-desktop-dark")
        tab.page.set_viewport_size(PHONE)
        panel.scroll_into_view_if_needed()
        screenshot(tab.page, "rerank-model-phone-dark")
