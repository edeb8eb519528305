"""A profile picture in a real browser: refused files say why, an upload shows in Settings, in
the account menu and in the admin's user list, and removing it brings the initial back.
Screenshots of Settings > Account with a picture, desktop and phone."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Browser, Locator, Page, expect

from tests.e2e.conftest import ADMIN, PHONE, Server, open_tab, screenshot
from tests.e2e.steps import make_member, sign_in_as
from tests.fakes.images import painted_png

pytestmark = pytest.mark.slow
expect.set_options(timeout=10_000)
# A 96 px picture: a warm diagonal gradient with a light disc, so the crop to a circle shows.
PICTURE = painted_png(
    96,
    96,
    lambda x, y: (
        (250, 250, 245)
        if (x - 48) ** 2 + (y - 40) ** 2 < 22**2
        else (200 + x // 2, 90 + y, 60 + (x + y) // 4)
    ),
)
SVG = b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"><circle r="9"/></svg>'


def file(name: str, mime: str, data: bytes) -> dict[str, object]:
    return {"name": name, "mimeType": mime, "buffer": data}


def loaded(image: Locator) -> None:
    """The <img> decoded a real picture (not a broken image)."""
    expect(image).to_have_attribute("alt", "")
    expect(image).to_have_js_property("complete", True)
    assert image.evaluate("img => img.naturalWidth") == 96


def account_button(page: Page) -> Locator:
    return page.get_by_role("button", name=re.compile("Piper Picture"))


def test_upload_see_and_remove_a_profile_picture(browser: Browser, server: Server) -> None:
    account = make_member(server, "piper@example.com", "Piper Picture")
    for tab in open_tab(browser, server):
        page = tab.page
        sign_in_as(tab, account)
        page.goto("/")
        expect(account_button(page).locator(".avatar")).to_have_text("P")
        page.goto("/settings")
        profile = page.get_by_role("region", name="Profile")
        upload = profile.get_by_label("Upload picture")
        expect(upload).to_have_attribute("accept", "image/png,image/jpeg,image/webp")

        # Refused in the browser (type, size) and, for a disguised SVG, by the server.
        upload.set_input_files(file("logo.svg", "image/svg+xml", SVG))
        expect(profile.get_by_role("alert")).to_have_text("Choose a PNG, JPEG or WebP picture.")
        upload.set_input_files(file("huge.png", "image/png", PICTURE + b"\0" * 600_000))
        expect(profile.get_by_role("alert")).to_contain_text("at most 512 KB")
        upload.set_input_files(file("sneaky.png", "image/png", SVG))
        expect(profile.get_by_role("alert")).to_contain_text("SVG pictures are not accepted")
        expect(profile.locator("img")).to_have_count(0)

        upload.set_input_files(file("me.png", "image/png", PICTURE))
        expect(profile.get_by_role("status")).to_have_text("Picture updated.")
        loaded(profile.locator("img"))
        page.mouse.move(0, 0)
        screenshot(page, "settings-avatar-desktop-light")
        page.set_viewport_size(PHONE)
        expect(profile.get_by_role("button", name="Remove")).to_be_in_viewport()
        screenshot(page, "settings-avatar-phone-light")
        page.set_viewport_size({"width": 1280, "height": 820})

        page.goto("/")
        loaded(account_button(page).locator("img"))
        screenshot(page, "account-menu-avatar-desktop-light")
        _the_admin_sees_it(browser, server)

        page.goto("/settings")
        profile.get_by_role("button", name="Remove").click()
        expect(profile.get_by_role("status")).to_have_text("Picture removed.")
        expect(profile.locator("img")).to_have_count(0)
        expect(profile.get_by_label("Upload picture")).to_be_attached()
        page.goto("/")
        expect(account_button(page).locator("img")).to_have_count(0)
        expect(account_button(page).locator(".avatar")).to_have_text("P")


def _the_admin_sees_it(browser: Browser, server: Server) -> None:
    for tab in open_tab(browser, server):
        sign_in_as(tab, ADMIN)
        tab.page.goto("/admin")
        row = tab.page.get_by_role("list", name="Users").locator("li", has_text="piper@example.com")
        loaded(row.locator("img"))
        screenshot(tab.page, "admin-users-avatar-desktop-light")
