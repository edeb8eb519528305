"""Generations as server-side jobs: they outlive the HTTP request that started them.

A job consumes a model's stream, publishes each delta to the broker, hands the text to its
sink at least every `persist_every` seconds and at the end, and always finishes the sink with
a final state, whether the model finished, failed, was stopped or the server shut down.
The runner knows nothing of HTTP or the database: the sink (from services) does the saving.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator, Coroutine
from dataclasses import dataclass, field
from typing import Any, Protocol

from confide.providers.base import Delta, Finish, ProviderError, StreamEvent, Usage
from confide.runtime.broker import Broker

log = logging.getLogger("confide.generation")
# Progress goes to the sink this often; with its 0.25 s write batch, text is never 0.5 s stale.
PERSIST_EVERY = 0.25


@dataclass
class Outcome:
    """How a generation ended, for the sink's final save."""

    text: str
    status: str  # "complete" | "error" | "stopped" | "interrupted"
    finish_reason: str | None = None
    usage: Usage | None = None
    error: str | None = None
    timings: dict[str, float] = field(default_factory=dict)


class ReplySink(Protocol):
    async def save_progress(self, text: str) -> None: ...
    async def finish(self, outcome: Outcome) -> None: ...


class GenerationRunner:
    def __init__(self, broker: Broker, persist_every: float = PERSIST_EVERY) -> None:
        self.broker = broker
        self.persist_every = persist_every
        self._tasks: dict[str, asyncio.Task[None]] = {}
        self._stopping: set[str] = set()
        self._background: set[asyncio.Task[None]] = set()
        self.deltas_relayed = 0  # plain counters, read when /metrics is scraped
        self.completion_tokens = 0  # those of finished generations, as their models counted

    def start(self, stream_id: str, events: AsyncIterator[StreamEvent], sink: ReplySink) -> None:
        self.broker.open(stream_id)
        task = asyncio.create_task(self._run(stream_id, events, sink), name=f"gen-{stream_id}")
        self._tasks[stream_id] = task
        task.add_done_callback(lambda _: self._tasks.pop(stream_id, None))

    def spawn(self, job: Coroutine[Any, Any, None], name: str) -> None:
        """Run a small follow-up job (e.g. a title) without blocking anyone; kept referenced."""
        task = asyncio.create_task(job, name=name)
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    @property
    def active(self) -> int:
        """How many generations are running now."""
        return len(self._tasks)

    def is_running(self, stream_id: str) -> bool:
        return stream_id in self._tasks

    def stop(self, stream_id: str) -> bool:
        """Stop a running generation; its text so far is kept. False when none is running."""
        task = self._tasks.get(stream_id)
        if task is None:
            return False
        self._stopping.add(stream_id)
        task.cancel()
        return True

    async def wait(self, stream_id: str) -> None:
        task = self._tasks.get(stream_id)
        if task is not None:
            await asyncio.wait({task})

    async def shutdown(self) -> None:
        """Server shutdown: every job still running ends as `interrupted`, its text kept."""
        tasks = [*self._tasks.values(), *self._background]
        for task in tasks:
            task.cancel()
        if tasks:
            await asyncio.wait(tasks)

    async def _run(
        self, stream_id: str, events: AsyncIterator[StreamEvent], sink: ReplySink
    ) -> None:
        state = _Progress(time.monotonic())
        try:
            outcome = await self._consume(stream_id, events, sink, state)
        except ProviderError as exc:
            outcome = state.outcome("error", error=exc.message)
        except asyncio.CancelledError:
            status = "stopped" if stream_id in self._stopping else "interrupted"
            outcome = state.outcome(status, finish_reason=status)
            await asyncio.shield(self._finish(stream_id, sink, outcome))
            raise
        except Exception:  # a job must always leave a final state behind
            log.exception("generation %s failed unexpectedly", stream_id)
            outcome = state.outcome("error", error="Confide failed while generating this reply.")
        finally:
            await _close(events)
        await self._finish(stream_id, sink, outcome)

    async def _consume(
        self, stream_id: str, events: AsyncIterator[StreamEvent], sink: ReplySink, state: _Progress
    ) -> Outcome:
        finish: Finish | None = None
        async for event in events:
            if isinstance(event, Delta):
                state.add(event.text)
                self.broker.publish(stream_id, "delta", {"text": event.text})
                self.deltas_relayed += 1
                if state.due(self.persist_every):
                    await sink.save_progress(state.text())
            else:
                finish = event
        if finish is None:
            return state.outcome("error", error="The model ended its answer without finishing.")
        return state.outcome("complete", finish_reason=finish.reason, usage=finish.usage)

    async def _finish(self, stream_id: str, sink: ReplySink, outcome: Outcome) -> None:
        self._stopping.discard(stream_id)
        if outcome.usage is not None:
            self.completion_tokens += outcome.usage.completion_tokens
        try:
            await sink.finish(outcome)
        finally:
            kind = "error" if outcome.status == "error" else "done"
            self.broker.publish(stream_id, kind, _final_event(outcome))
            self.broker.close(stream_id)


class _Progress:
    def __init__(self, started: float) -> None:
        self.started = started
        self.first_token: float | None = None
        self.parts: list[str] = []
        self.last_saved = started

    def add(self, text: str) -> None:
        if self.first_token is None:
            self.first_token = time.monotonic()
        self.parts.append(text)

    def due(self, every: float) -> bool:
        now = time.monotonic()
        if now - self.last_saved < every:
            return False
        self.last_saved = now
        return True

    def text(self) -> str:
        return "".join(self.parts)

    def outcome(
        self,
        status: str,
        *,
        finish_reason: str | None = None,
        usage: Usage | None = None,
        error: str | None = None,
    ) -> Outcome:
        now = time.monotonic()
        timings = {"duration_ms": round((now - self.started) * 1000, 1)}
        if self.first_token is not None:
            timings["first_token_ms"] = round((self.first_token - self.started) * 1000, 1)
        return Outcome(self.text(), status, finish_reason, usage, error, timings)


def _final_event(outcome: Outcome) -> dict[str, object]:
    usage = (
        {
            "prompt_tokens": outcome.usage.prompt_tokens,
            "completion_tokens": outcome.usage.completion_tokens,
        }
        if outcome.usage
        else None
    )
    return {
        "status": outcome.status,
        "finish_reason": outcome.finish_reason,
        "error": outcome.error,
        "usage": usage,
        "timings": outcome.timings,
    }


async def _close(events: AsyncIterator[StreamEvent]) -> None:
    aclose = getattr(events, "aclose", None)
    if aclose is not None:
        await aclose()
