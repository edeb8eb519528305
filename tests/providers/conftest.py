from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from confide.providers.http import HttpPool


@pytest.fixture
async def http() -> AsyncIterator[HttpPool]:
    pool = HttpPool()
    yield pool
    await pool.close()
