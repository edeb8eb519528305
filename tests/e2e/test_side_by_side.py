"""Several models answering one message side by side (fake-small and fake-large): the picker's
compare mode, one column per model on a desktop and tabs on a phone, each reply stopping,
regenerating and branching on its own; and a reply's details (tokens, timing) on focus."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import PHONE, Tab, screenshot
from tests.e2e.steps import DONE_REPLY, send

pytestmark = pytest.mark.slow
expect.set_options(timeout=10_000)

PICKER = 'button[aria-haspopup="listbox"]'


def pick_both(page: Page) -> None:
    page.goto("/")
    expect(page.locator(PICKER)).not_to_contain_text("Loading")
    page.locator(PICKER).click()
    search = page.get_by_label("Search models")
    search.fill("fake-small")
    search.press("Enter")  # one model: chosen, the panel closes
    page.locator(PICKER).click()
    page.get_by_role("switch", name="Compare side by side").click()
    page.get_by_label("Search models").fill("fake-large")
    page.get_by_label("Search models").press("Enter")  # compare: added, the panel stays
    expect(page.get_by_text("2 of 4 chosen")).to_be_visible()
    page.keyboard.press("Escape")
    expect(page.locator(PICKER)).to_contain_text("fake-small + fake-large")


def column(page: Page, model: str):  # type: ignore[no-untyped-def]
    return page.locator('[role="tabpanel"]', has=page.locator(f'article[data-model="{model}"]'))


def test_two_models_answer_side_by_side(tab: Tab) -> None:
    page = tab.page
    pick_both(page)
    send(page, "Compare these, slow please")
    expect(page).to_have_url(re.compile(r"/c/[A-Za-z0-9_-]+$"))
    small, large = column(page, "fake-small"), column(page, "fake-large")
    expect(small.locator("article")).to_contain_text("word3")
    expect(large.locator("article")).to_contain_text("word3")
    box_small, box_large = small.bounding_box(), large.bounding_box()
    assert box_small and box_large and box_small["x"] + box_small["width"] <= box_large["x"] + 1

    # Stop one; the other goes on to the end.
    small.get_by_role("button", name="Stop this reply").click()
    expect(small.locator("article")).to_have_attribute("aria-busy", "false")
    expect(small).to_contain_text("Stopped")
    expect(large.locator(DONE_REPLY)).to_contain_text("word40", timeout=15_000)
    small_text = small.locator("article").inner_text()
    assert "word40" not in small_text

    # Regenerate one column: a second version in that column only.
    small.get_by_role("button", name="Regenerate").click()
    expect(small.locator(DONE_REPLY)).to_contain_text("word40", timeout=15_000)
    expect(small.get_by_role("group", name="Versions")).to_contain_text("2/2")
    expect(large.get_by_role("group", name="Versions")).to_have_count(0)
    small.get_by_role("button", name="Previous version").click()
    expect(small).to_contain_text("1/2")
    expect(small).to_contain_text("Stopped")

    # Branch from the large model's reply: the conversation goes on from it.
    large.get_by_role("button", name="Continue with this reply").click()
    expect(large).to_contain_text("continues")
    page.mouse.move(0, 0)
    screenshot(page, "side-by-side-desktop-light")

    # Details of a reply by keyboard: tokens and timing.
    details = large.get_by_role("button", name="Reply details")
    details.focus()
    tip = large.get_by_role("tooltip")
    expect(tip).to_be_visible()
    expect(tip).to_contain_text("Time to first token")
    expect(tip).to_contain_text("Total time")
    expect(tip).to_contain_text(re.compile(r"just now|ago"))

    # A phone: the replies as tabs, one at a time.
    page.set_viewport_size(PHONE)
    page.reload()
    tabs = page.get_by_role("tablist", name="Replies by model")
    expect(tabs.get_by_role("tab")).to_have_count(2)
    expect(page.get_by_role("tabpanel")).to_have_count(1)
    tabs.get_by_role("tab", name="fake-small").click()
    expect(page.get_by_role("tabpanel").locator('article[data-model="fake-small"]')).to_be_visible()
    expect(tabs.get_by_role("tab", name="fake-small")).to_have_attribute("aria-selected", "true")
    page.keyboard.press("ArrowRight")
    expect(tabs.get_by_role("tab", name="fake-large")).to_be_focused()
    screenshot(page, "side-by-side-phone-light")
