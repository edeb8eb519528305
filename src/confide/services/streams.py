"""Stopping a generation wherever it runs: here, or (with Redis) on another replica."""

from __future__ import annotations

from confide.services.context import Context


def request_stop(ctx: Context, stream_id: str) -> bool:
    """Stop the generation if this process runs it; otherwise ask the other replicas (the one
    running it stops it). Answers whether it was running here."""
    if ctx.runner.stop(stream_id):
        return True
    if ctx.bus is not None:
        ctx.bus.send("stop", stream_id)
    return False


async def stop(ctx: Context, stream_id: str) -> bool:
    """Stop the generation wherever it runs; False when none is running anywhere."""
    if ctx.runner.stop(stream_id):
        return True
    if ctx.bus is None or not await ctx.broker.is_live(stream_id):
        return False
    ctx.bus.send("stop", stream_id)
    return True
