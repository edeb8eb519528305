"""`confide serve`: uvicorn, with a drain before it stops on SIGTERM.

uvicorn alone stops listening at once on SIGTERM and waits only for open connections; a
reply being generated for a closed tab has none, and would be cut off. Here the first SIGTERM
drains the replica first (runtime/drain.py: no new generations, running ones get
`shutdown_grace_seconds` to finish), while it keeps listening so a load balancer reads
`/readyz` as unready; then uvicorn stops as usual. A second SIGTERM, or SIGINT (Ctrl+C),
stops at once: replies still running end as `interrupted`, their text kept.
"""

from __future__ import annotations

import asyncio
import logging
import signal
import socket
from collections.abc import Callable, Coroutine
from types import FrameType
from typing import Any

import uvicorn

from confide.app import create_app
from confide.runtime.drain import Drain
from confide.settings import Settings

log = logging.getLogger("confide.server")
# After the drain, open connections (a stream's followers reading its final event, an upload
# finishing) get this long before uvicorn closes them.
CLOSE_CONNECTIONS_SECONDS = 5


class DrainingServer(uvicorn.Server):
    """uvicorn's server; its first SIGTERM runs `drain` and stops when that is done."""

    def __init__(
        self, config: uvicorn.Config, drain: Callable[[], Coroutine[Any, Any, object]]
    ) -> None:
        super().__init__(config)
        self._drain = drain
        self._drain_requested = False
        self._draining: asyncio.Task[object] | None = None

    def handle_exit(self, sig: int, frame: FrameType | None) -> None:
        # A signal handler: it only records the request; on_tick starts the drain in the loop.
        if sig == signal.SIGTERM and not self._drain_requested:
            self._drain_requested = True
            return
        super().handle_exit(sig, frame)

    async def on_tick(self, counter: int) -> bool:
        if self._drain_requested and self._draining is None:
            self._draining = asyncio.create_task(self._drain(), name="drain")
        if self._draining is not None and self._draining.done():
            if not self._draining.cancelled() and self._draining.exception() is not None:
                log.error("draining failed; stopping now", exc_info=self._draining.exception())
            return True
        return await super().on_tick(counter)

    async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
        if self._draining is not None and not self._draining.done():
            self._draining.cancel()  # stopped at once: the app's shutdown interrupts the rest
        await super().shutdown(sockets)


def serve(settings: Settings, host: str, port: int) -> None:
    """Run the app until SIGTERM (drained) or SIGINT."""
    app = create_app(settings)
    config = uvicorn.Config(
        app,
        host=host,
        port=port,
        log_config=None,
        server_header=False,
        proxy_headers=True,
        ws="none",  # Confide streams with SSE; not loading websockets saves memory and time
        forwarded_allow_ips=settings.forwarded_allow_ips,
        timeout_graceful_shutdown=CLOSE_CONNECTIONS_SECONDS,
    )
    state = app.state

    async def drain() -> int:
        replica: Drain = state.drain
        return await replica.run(state.ctx.runner, settings.shutdown_grace_seconds)

    DrainingServer(config, drain).run()
