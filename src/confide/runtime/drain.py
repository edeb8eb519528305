"""Draining a replica before it stops, so a rolling restart loses no reply.

On SIGTERM the server (confide.server) drains: this replica stops taking new generations (the
API answers 503 with Retry-After, and `/readyz` turns unready so a load balancer sends new
work elsewhere), the generations already running may finish for a grace period, and the ones
still running after it end as `interrupted` with their text kept. Everything else (reading
chats, following a stream) is served as usual meanwhile.
"""

from __future__ import annotations

import asyncio
import logging
import time

from confide.runtime.generation import GenerationRunner

log = logging.getLogger("confide.drain")
POLL_SECONDS = 0.1  # how often the drain looks whether the running generations are done


class Drain:
    """Whether this replica still takes new generations. One per app (`app.state.drain`)."""

    def __init__(self) -> None:
        self.draining = False

    async def run(self, runner: GenerationRunner, grace_seconds: float) -> int:
        """Stop taking generations, wait up to `grace_seconds` for the running ones to finish,
        then interrupt the rest (their text is kept). Answers how many were interrupted."""
        self.draining = True
        if runner.active:
            log.info(
                "draining: waiting up to %gs for %d running replies", grace_seconds, runner.active
            )
        deadline = time.monotonic() + grace_seconds
        # Polled: the runner keeps only a count for others to read, and ten looks a second
        # for at most the grace period cost nothing.
        while runner.active and time.monotonic() < deadline:  # noqa: ASYNC110
            await asyncio.sleep(POLL_SECONDS)
        left = runner.active
        if left:
            log.warning("draining: %d replies still running are ended as interrupted", left)
        # Ended here rather than in the app's shutdown: their followers get the final event
        # now, so the server's wait for open connections is short.
        await runner.shutdown()
        return left
