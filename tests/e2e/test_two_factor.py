"""Two-factor authentication in a real browser: a member turns it on in Settings (the QR code
and the key on screen, a first code computed here from that key), keeps the recovery codes,
signs in with the app's code and with a recovery code, makes new codes and turns it off; an
admin requires it of every admin. The codes are computed with the server's own TOTP module."""

from __future__ import annotations

import base64
import re
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from confide.security import totp
from tests.conftest import PASSWORD
from tests.e2e.conftest import ADMIN, PHONE, Server, Tab, open_tab, screenshot
from tests.e2e.steps import ADMIN_LOGIN, make_member, sign_in_as

pytestmark = pytest.mark.slow
expect.set_options(timeout=10_000)
PANEL = 'section[aria-labelledby="two-factor-heading"]'


def code_for(secret: str, ahead: int = 0) -> str:
    """The code an authenticator app holding `secret` shows now (or `ahead` steps later: a
    code is accepted once, so a second sign-in soon after uses the next step's code)."""
    raw = base64.b32decode(secret.replace(" ", "") + "=" * (-len(secret.replace(" ", "")) % 8))
    return totp.code_at(raw, totp.step_at(time.time()) + ahead)


# The QR code's dark cells: the widths of its runs (the first rectangle is the light square).
DARK_CELLS = """svg => [...svg.querySelectorAll('rect')]
  .slice(1)
  .reduce((cells, run) => cells + Number(run.getAttribute('width')), 0)"""
# The pixels of a PNG, counted in the page (no image library here): how many are black, white
# and in between.
COUNT_PIXELS = """async (bytes) => {
  const bitmap = await createImageBitmap(new Blob([new Uint8Array(bytes)], { type: 'image/png' }));
  const canvas = new OffscreenCanvas(bitmap.width, bitmap.height);
  const context = canvas.getContext('2d');
  context.drawImage(bitmap, 0, 0);
  const data = context.getImageData(0, 0, bitmap.width, bitmap.height).data;
  const counts = { width: bitmap.width, height: bitmap.height, dark: 0, light: 0, grey: 0 };
  for (let i = 0; i < data.length; i += 4) {
    const value = data[i];
    if (value < 16) counts.dark += 1;
    else if (value > 239) counts.light += 1;
    else counts.grey += 1;
  }
  return counts;
}"""


def assert_crisp(page: Page, png: bytes, dark_cells: int) -> None:
    """The QR code on screen is square, every cell whole pixels, black or white, nothing blurred."""
    counts = page.evaluate(COUNT_PIXELS, list(png))
    assert counts["width"] == counts["height"], counts
    assert counts["grey"] == 0, f"blurred cell edges: {counts}"
    cell_area = counts["dark"] / dark_cells
    assert cell_area == int(cell_area) and int(cell_area**0.5) ** 2 == cell_area, counts


def member_tab(browser: Browser, server: Server, email: str, **options: object) -> Iterator[Tab]:
    account = make_member(server, email, email.split("@")[0].title())
    for opened in open_tab(browser, server, **options):
        sign_in_as(opened, account)
        yield opened


def turn_on(page: Page, shot: str | None = None) -> tuple[str, list[str]]:
    """Settings → Account → Turn on, through to the recovery codes; returns key and codes."""
    page.goto("/settings")
    panel = page.locator(PANEL)
    expect(panel.get_by_role("heading")).to_contain_text("Off")
    panel.get_by_role("button", name="Turn on").click()
    dialog = page.get_by_role("dialog", name="Turn on two-factor authentication")
    dialog.get_by_label("Your password").fill("not my password")
    dialog.get_by_role("button", name="Continue").click()
    expect(dialog.locator(".field .error")).to_have_text("The password is wrong.")
    dialog.get_by_label("Your password").fill(PASSWORD)
    dialog.get_by_role("button", name="Continue").click()

    qr = dialog.get_by_role("img", name=re.compile("QR code"))
    expect(qr).to_be_visible()
    box = qr.bounding_box()
    assert box is not None and box["width"] == box["height"] >= 150
    assert qr.locator("rect").count() > 100  # the light square and the runs of dark cells
    assert_crisp(page, qr.screenshot(), dark_cells=qr.evaluate(DARK_CELLS))
    secret = dialog.get_by_label("Setup key").inner_text().replace(" ", "")
    assert re.fullmatch(r"[A-Z2-7]{32}", secret)
    if shot:
        page.mouse.move(0, 0)
        screenshot(page, shot)

    dialog.get_by_label("Code", exact=True).fill(code_for(secret, ahead=-10))  # long expired
    dialog.get_by_role("button", name="Turn on").click()
    expect(dialog.locator(".field .error")).to_contain_text("That code is not right")
    dialog.get_by_label("Code", exact=True).fill(code_for(secret))
    dialog.get_by_role("button", name="Turn on").click()

    codes_dialog = page.get_by_role("dialog", name="Your recovery codes")
    expect(codes_dialog).to_contain_text("Each works once")
    codes = codes_dialog.get_by_role("list", name="Recovery codes").get_by_role("listitem")
    expect(codes).to_have_count(10)
    return secret, [text.strip() for text in codes.all_inner_texts()]


def sign_out(page: Page) -> None:
    page.goto("/")
    account = page.get_by_role("button", name=re.compile(r"@example\.com"))
    expect(account).to_be_attached()
    opener = page.get_by_role("button", name="Open the sidebar")
    if opener.is_visible():  # on a phone
        opener.click()
    account.click()
    page.get_by_role("menuitem", name="Sign out").click()
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()


def password_step(page: Page, email: str) -> None:
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Two-step sign-in")).to_be_visible()


def test_turn_on_sign_in_with_a_code_or_a_recovery_code_then_turn_off(
    browser: Browser, server: Server, tmp_path: Path
) -> None:
    email = "tessa@example.com"
    for tab in member_tab(browser, server, email):
        page = tab.page
        secret, codes = turn_on(page, "two-factor-setup-desktop-light")
        dialog = page.get_by_role("dialog", name="Your recovery codes")
        screenshot(page, "two-factor-recovery-codes-desktop-light")
        dialog.get_by_role("button", name="Copy").click()
        expect(dialog.get_by_role("button", name="Copied")).to_be_visible()
        with page.expect_download() as download:
            dialog.get_by_role("button", name="Download").click()
        assert download.value.suggested_filename == "confide-recovery-codes.txt"
        saved = tmp_path / "codes.txt"
        download.value.save_as(saved)
        text = saved.read_text()
        assert email in text and all(code in text for code in codes)
        dialog.get_by_role("button", name="I have stored them").click()
        panel = page.locator(PANEL)
        expect(panel.get_by_role("heading")).to_contain_text("On")
        expect(panel).to_contain_text("10 recovery codes left")

        # Signing in now takes the password, then the app's code.
        sign_out(page)
        password_step(page, email)
        code = page.get_by_label("Code", exact=True)
        expect(code).to_be_focused()
        expect(code).to_have_attribute("autocomplete", "one-time-code")
        expect(code).to_have_attribute("inputmode", "numeric")
        page.get_by_role("button", name="Verify and sign in").click()
        expect(page.locator(".field .error")).to_have_text(
            "Enter the 6-digit code from your authenticator app."
        )
        code.fill(code_for(secret, ahead=-10))
        page.get_by_role("button", name="Verify and sign in").click()
        expect(page.locator(".field .error")).to_contain_text("That code is not right")
        screenshot(page, "two-factor-sign-in-desktop-light")
        # Back goes to the first step, email kept and password forgotten.
        page.get_by_role("button", name="Back").click()
        expect(page.get_by_label("Email")).to_have_value(email)
        expect(page.get_by_label("Password")).to_have_value("")
        password_step(page, email)
        # The code that confirmed the set-up was used: the next step's code is accepted.
        page.get_by_label("Code", exact=True).fill(code_for(secret, ahead=1))
        page.get_by_role("button", name="Verify and sign in").click()
        expect(page).to_have_url(f"{server.url}/")
        expect(page.get_by_role("button", name=re.compile(r"@example\.com"))).to_contain_text(
            "Tessa"
        )

        # A recovery code works once, in place of the app's code.
        sign_out(page)
        password_step(page, email)
        page.get_by_role("button", name="Use a recovery code instead").click()
        recovery = page.get_by_label("Recovery code")
        expect(recovery).to_be_focused()
        recovery.fill(codes[0].upper())
        page.get_by_role("button", name="Verify and sign in").click()
        expect(page).to_have_url(f"{server.url}/")
        with server.api() as api:
            again = {"email": email, "password": PASSWORD, "code": codes[0]}
            assert api.post("/api/auth/login", json=again).status_code == 401

        # New codes replace the old; turning it off takes the password.
        page.goto("/settings")
        panel = page.locator(PANEL)
        expect(panel).to_contain_text("9 recovery codes left")
        panel.get_by_role("button", name="New recovery codes").click()
        renew = page.get_by_role("dialog", name="New recovery codes")
        renew.get_by_label("Your password").fill(PASSWORD)
        renew.get_by_role("button", name="Make new codes").click()
        fresh = page.get_by_role("dialog", name="Your recovery codes").get_by_role("listitem")
        expect(fresh).to_have_count(10)
        assert codes[1] not in fresh.all_inner_texts()
        page.get_by_role("button", name="I have stored them").click()
        expect(panel).to_contain_text("10 recovery codes left")

        panel.get_by_role("button", name="Turn off").click()
        off = page.get_by_role("dialog", name="Turn off two-factor authentication?")
        off.get_by_label("Your password").fill(PASSWORD)
        off.get_by_role("button", name="Turn off").click()
        expect(off).to_be_hidden()
        expect(panel.get_by_role("heading")).to_contain_text("Off")
        expect(panel.get_by_role("status")).to_have_text("Two-factor authentication is off.")
        with server.api() as api:
            plain = {"email": email, "password": PASSWORD}
            assert api.post("/api/auth/login", json=plain).status_code == 200


def test_on_a_phone(browser: Browser, server: Server) -> None:
    email = "pim@example.com"
    for tab in member_tab(browser, server, email, viewport=PHONE):
        page = tab.page
        secret, _ = turn_on(page, "two-factor-setup-phone-light")
        page.get_by_role("button", name="I have stored them").click()
        sign_out(page)
        password_step(page, email)
        page.mouse.move(0, 0)
        screenshot(page, "two-factor-sign-in-phone-light")
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= PHONE["width"], "the page scrolls sideways"
        page.get_by_label("Code", exact=True).fill(code_for(secret, ahead=1))
        page.get_by_role("button", name="Verify and sign in").click()
        expect(page).to_have_url(f"{server.url}/")


# Last in this module: it gives the admin that the `tab` fixture signs in as two-factor.
def test_admins_can_be_required_to_use_it(browser: Browser, server: Server) -> None:
    second = make_member(server, "root@example.com", "Second Admin")
    with server.api() as admin:
        admin.post("/api/auth/login", json=ADMIN_LOGIN).raise_for_status()
        second_id = next(
            user["id"]
            for user in admin.get("/api/users").json()["items"]
            if user["email"] == second["email"]
        )
        admin.patch(f"/api/users/{second_id}", json={"role": "admin"}).raise_for_status()
        for tab in open_tab(browser, server):
            page = tab.page
            sign_in_as(tab, ADMIN_LOGIN)
            page.goto("/admin/instance")
            toggle = page.get_by_label("Require two-factor authentication for administrators")
            toggle.click()
            expect(page.get_by_role("alert")).to_contain_text("two-factor")
            expect(toggle).not_to_be_checked()

            # With it on for this admin, the requirement takes.
            setup = admin.post("/api/auth/two-factor/setup", json={"password": PASSWORD})
            confirm = {"code": code_for(setup.json()["secret"])}
            admin.post("/api/auth/two-factor/confirm", json=confirm).raise_for_status()
            page.reload()
            toggle.click()
            expect(page.get_by_role("status")).to_have_text("Saved.")
            expect(toggle).to_be_checked()

        # The second admin, without it, finds every admin page closed, with the way out.
        for tab in open_tab(browser, server):
            page = tab.page
            sign_in_as(tab, second)
            page.goto("/admin/connections")
            heading = page.get_by_role("heading", name="Two-factor authentication required")
            expect(heading).to_be_visible()
            expect(page.get_by_role("alert")).to_contain_text("requires administrators")
            page.get_by_role("link", name=re.compile("Settings → Account")).click()
            expect(page).to_have_url(f"{server.url}/settings")
            expect(page.locator(PANEL)).to_be_visible()

        # Put the instance back as the other modules' fixtures expect it.
        admin.patch("/api/settings", json={"admins_need_two_factor": False}).raise_for_status()
        admin.post(
            "/api/auth/two-factor/disable", json={"password": ADMIN["password"]}
        ).raise_for_status()
