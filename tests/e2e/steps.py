"""Steps the browser tests share: picking the fake model, sending, starting a chat, making
and signing in other accounts."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from tests.conftest import PASSWORD
from tests.e2e.conftest import ADMIN, FAKE_MODEL, Server, Tab

ADMIN_LOGIN = {"email": ADMIN["email"], "password": ADMIN["password"]}
REPLY = 'article[aria-label="Reply"]'
DONE_REPLY = 'article[aria-label="Reply"][aria-busy="false"]'


def pick_fake_model(page: Page) -> None:
    picker = page.locator('button[aria-haspopup="listbox"]')
    expect(picker).not_to_contain_text("Loading")
    picker.click()
    page.get_by_label("Search models").fill(FAKE_MODEL)
    page.get_by_label("Search models").press("Enter")
    expect(page.locator('button[aria-haspopup="listbox"]')).to_contain_text(FAKE_MODEL)


def send(page: Page, text: str) -> None:
    box = page.get_by_label("Message", exact=True)
    box.fill(text)
    box.press("Enter")


def new_chat(page: Page, first_message: str) -> None:
    page.goto("/")
    pick_fake_model(page)
    send(page, first_message)
    expect(page).to_have_url(re.compile(r"/c/[A-Za-z0-9_-]+$"))


def make_member(server: Server, email: str, name: str) -> dict[str, str]:
    """An approved, non-admin account (signed up, then approved by the admin)."""
    account = {"email": email, "password": PASSWORD, "name": name}
    with server.api() as visitor:
        visitor.post("/api/auth/signup", json=account).raise_for_status()
        user_id = visitor.get("/api/auth/me").json()["id"]
        visitor.post("/api/auth/logout").raise_for_status()
    with server.api() as admin:
        admin.post("/api/auth/login", json=ADMIN_LOGIN).raise_for_status()
        admin.post(f"/api/users/{user_id}/approve").raise_for_status()
    return account


def sign_in_as(tab: Tab, account: dict[str, str]) -> None:
    """Signs the tab's browser context in (the cookie), without the login page."""
    response = tab.page.request.post(
        f"{tab.server.url}/api/auth/login",
        data={"email": account["email"], "password": account["password"]},
        headers={"X-Confide-CSRF": "1"},
    )
    assert response.ok, response.text()
