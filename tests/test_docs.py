"""Documentation stays true: every setting and command is in the README."""

from __future__ import annotations

import re
from pathlib import Path

import httpx

from confide.cli import _parser
from confide.settings import Settings

ROOT = Path(__file__).parent.parent
README = (ROOT / "README.md").read_text("utf-8")


def test_every_setting_is_in_the_readme_table() -> None:
    missing = [
        f"CONFIDE_{name.upper()}"
        for name in Settings.model_fields
        if f"| `CONFIDE_{name.upper()}` |" not in README
    ]
    assert missing == []


def test_every_cli_command_is_in_the_readme() -> None:
    parser = _parser()
    commands = parser._subparsers._group_actions[0].choices  # type: ignore[union-attr]
    missing = [name for name in commands if f"`confide {name}" not in README]
    assert missing == []


def test_quick_start_is_two_commands() -> None:
    assert "make run" in README
    assert "make test" in README


def test_security_and_changelog_exist() -> None:
    security = (ROOT / "SECURITY.md").read_text("utf-8")
    assert "Reporting a vulnerability" in security
    assert "Not protected against" in security
    assert (ROOT / "CHANGELOG.md").exists()


async def test_home_page_is_served(client: httpx.AsyncClient) -> None:
    response = await client.get("/")
    assert response.status_code == 200
    assert "Confide" in response.text
    # Under the CSP (script-src 'self') only external scripts can run: none may be inline.
    assert re.search(r"<script(?![^>]*\bsrc=)[^>]*>", response.text) is None
