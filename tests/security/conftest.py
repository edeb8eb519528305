"""The populated world the attack suites share, built once per test module."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from tests.security.world import World, built_world, clean_environment


@pytest.fixture(scope="module")
async def world(
    db_kind: str, database_template: str, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[World]:
    with pytest.MonkeyPatch.context() as mp:
        for name in clean_environment():
            mp.delenv(name)
        async with built_world(db_kind, database_template, tmp_path_factory.mktemp("world")) as w:
            yield w
