"""The app's own lifespan: it builds the context, serves, and closes it cleanly."""

from __future__ import annotations

import asyncio

import pytest

from confide import app as app_module
from confide.app import create_app
from confide.services.context import Context
from confide.settings import Settings


async def test_the_lifespan_opens_the_context_and_warms_the_hasher_after_start(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(app_module, "WARM_AFTER_SECONDS", 0.0)
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        ctx: Context = app.state.ctx
        await ctx.db.ping()  # the database is open
        for _ in range(200):
            if ctx.hasher._dummy is not None:
                break
            await asyncio.sleep(0.05)
        assert ctx.hasher._dummy is not None


async def test_stopping_before_the_warm_up_does_not_wait_for_it(settings: Settings) -> None:
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        ctx: Context = app.state.ctx
    assert ctx.hasher._dummy is None  # stopped during the delay: the hash was never made
