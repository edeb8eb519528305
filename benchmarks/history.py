"""Chat history at scale: listing, opening, searching and ingesting for a user with many chats.

Builds one user with N chats of M messages each (default 100,000 x 20) straight through the
store layer, as an import would (sealed titles and messages plus the blind search index, in
transactions of 200 chats; fresh postings are merged into blocks whenever a running server's
background check would, and once more at the end), then measures through the HTTP API
(in-process ASGI, no sockets):

- ingest: chats per second written with their messages and index, merges included;
- create: chats per second through `POST /api/chats` (one request each);
- list: the first page of `GET /api/chats` (50 chats), at 1,000 chats and at N;
- open: `GET /api/chats/{id}` of a chat with 1,000 messages;
- search: `GET /api/chats/search` for a rare word (in one chat) and a common one (in most);
- size: the database file against the raw text written (UTF-8 bytes of titles and messages).

Text is deterministic (seeded): words drawn from a Zipf-like vocabulary of 5,000 made-up words,
40 words a message. Every timing is the median of `--repeat` runs after one warm-up. Bounded:
the build stops at `--max-build-seconds` (and reports how far it got).

    .venv/bin/python benchmarks/history.py [--chats 100000] [--messages 20] [--json]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

from confide.app import build_context, close_context, create_app
from confide.services import postings
from confide.services.context import Context
from confide.settings import Settings
from confide.store import chats, keys, search
from confide.store.access import Principal, Role

TARGETS = {"list_ms": 5.0, "open_ms": 20.0, "search_ms": 50.0, "create_per_s": 300.0, "size": 2.0}
BATCH = 200
RARE = "xylophonequartz"
BASE = "http://127.0.0.1"


def vocabulary(rng: random.Random, n: int = 5000) -> list[str]:
    letters = "abcdefghijklmnopqrstuvwxyz"
    return ["".join(rng.choice(letters) for _ in range(rng.randint(3, 10))) for _ in range(n)]


class Writer:
    """Deterministic text: Zipf-like word choice, so a few words are very common."""

    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)
        self.words = vocabulary(self.rng)
        self.weights = [1 / (rank + 1) for rank in range(len(self.words))]
        self.raw_bytes = 0

    def text(self, n_words: int) -> str:
        out = " ".join(self.rng.choices(self.words, self.weights, k=n_words)).capitalize() + "."
        self.raw_bytes += len(out.encode())
        return out


async def ingest(
    ctx: Context, principal: Principal, writer: Writer, n: int, m: int, deadline: float
) -> int:
    """Write n chats of m messages, merging postings as the server would, and all of them at
    the end; returns how many chats were written before the deadline."""
    done = 0
    while done < n and time.monotonic() < deadline:
        async with ctx.db.write() as session:
            cipher = await keys.cipher_for(session, ctx.sealer, principal.uid)
            for i in range(min(BATCH, n - done)):
                await _one_chat(session, cipher, principal, writer, m, rare=done + i == n // 2)
        done += min(BATCH, n - done)
        await postings.merge_if_needed(ctx)
    await postings.merge(ctx)
    return done


async def _one_chat(
    session: Any, cipher: Any, principal: Principal, writer: Writer, m: int, *, rare: bool
) -> None:
    title = writer.text(4)
    chat = await chats.create_chat(session, principal, cipher, title)
    texts = [title]
    parent = None
    for k in range(m):
        content = writer.text(40) + (f" {RARE}" if rare and k == 0 else "")
        role = "user" if k % 2 == 0 else "assistant"
        message = await chats.add_message(
            session, cipher, chat, parent_id=parent, role=role, content=content
        )
        parent = message.id
        texts.append(content)
    await search.add_text(session, cipher, chat.id, "\n".join(texts))


async def timed(c: httpx.AsyncClient, path: str, params: dict[str, Any], repeat: int) -> float:
    """Median milliseconds of a GET (after one warm-up), asserting it succeeds."""
    samples = []
    for i in range(repeat + 1):
        started = time.perf_counter()
        response = await c.get(path, params=params)
        elapsed = (time.perf_counter() - started) * 1000
        assert response.status_code == 200, response.text[:300]
        if i:
            samples.append(elapsed)
    return statistics.median(samples)


async def run(args: argparse.Namespace) -> dict[str, Any]:
    root = Path(tempfile.mkdtemp(prefix="confide-history-"))
    settings = Settings(data_dir=root / "data", password_hash_memory_kib=19456, public_url=BASE)
    figures: dict[str, Any] = {"chats": args.chats, "messages": args.messages}
    try:
        ctx = await build_context(settings)
        app = create_app(settings, ctx)
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url=BASE, headers={"x-confide-csrf": "1"}
        ) as c:
            body = {"email": "bench@example.com", "password": "benchmark passphrase 1", "name": "B"}
            user = (await c.post("/api/auth/signup", json=body)).json()
            principal = Principal(user_id=user["id"], role=Role.admin)
            writer = Writer(args.seed)
            deadline = time.monotonic() + args.max_build_seconds
            figures |= await _measure(ctx, c, principal, writer, args, deadline)
        await close_context(ctx)
        size = sum(p.stat().st_size for p in settings.data_dir.glob("confide.db*"))
    finally:
        shutil.rmtree(root)
    figures["db_bytes"] = size
    figures["raw_text_bytes"] = writer.raw_bytes
    figures["size_ratio"] = round(size / max(writer.raw_bytes, 1), 2)
    return figures


async def _measure(
    ctx: Context,
    c: httpx.AsyncClient,
    principal: Principal,
    writer: Writer,
    args: argparse.Namespace,
    deadline: float,
) -> dict[str, Any]:
    out: dict[str, Any] = {}
    started = time.perf_counter()
    first = await ingest(ctx, principal, writer, min(1000, args.chats), args.messages, deadline)
    out["ingest_per_s"] = round(first / (time.perf_counter() - started), 1)
    out["list_1000_ms"] = round(await timed(c, "/api/chats", {"limit": 50}, args.repeat), 2)
    started = time.perf_counter()
    rest = await ingest(ctx, principal, writer, args.chats - first, args.messages, deadline)
    out["built"] = first + rest
    out["build_s"] = round(time.perf_counter() - started, 1)
    out[f"list_{first + rest}_ms"] = round(
        await timed(c, "/api/chats", {"limit": 50}, args.repeat), 2
    )
    out["search_rare_ms"] = round(await timed(c, "/api/chats/search", {"q": RARE}, args.repeat), 2)
    common = writer.words[0]
    out["search_common_ms"] = round(
        await timed(c, "/api/chats/search", {"q": common}, args.repeat), 2
    )
    out["search_prefix_ms"] = round(
        await timed(c, "/api/chats/search", {"q": common[:3]}, args.repeat), 2
    )
    big = await _long_chat(ctx, principal, writer)
    out["open_1000_messages_ms"] = round(await timed(c, f"/api/chats/{big}", {}, args.repeat), 2)
    out["create_per_s"] = await _create_rate(c, args.creates)
    return out


async def _long_chat(ctx: Context, principal: Principal, writer: Writer) -> str:
    async with ctx.db.write() as session:
        cipher = await keys.cipher_for(session, ctx.sealer, principal.uid)
        chat = await chats.create_chat(session, principal, cipher, "A long chat")
        parent = None
        for k in range(1000):
            role = "user" if k % 2 == 0 else "assistant"
            message = await chats.add_message(
                session, cipher, chat, parent_id=parent, role=role, content=writer.text(40)
            )
            parent = message.id
    return chat.id


async def _create_rate(c: httpx.AsyncClient, n: int) -> float:
    started = time.perf_counter()
    for i in range(n):
        response = await c.post("/api/chats", json={"title": f"Created chat {i}"})
        assert response.status_code == 201, response.text
    return round(n / (time.perf_counter() - started), 1)


def report(figures: dict[str, Any]) -> str:
    lines = [f"{k}: {v}" for k, v in figures.items()]
    checks = {
        "list first page < 5 ms": all(
            v < TARGETS["list_ms"] for k, v in figures.items() if k.startswith("list_")
        ),
        "open 1,000 messages < 20 ms": figures["open_1000_messages_ms"] < TARGETS["open_ms"],
        "search < 50 ms": max(
            figures["search_rare_ms"], figures["search_common_ms"], figures["search_prefix_ms"]
        )
        < TARGETS["search_ms"],
        "create >= 300 chats/s": figures["create_per_s"] >= TARGETS["create_per_s"],
        "db < 2x raw text": figures["size_ratio"] < TARGETS["size"],
    }
    lines += [f"{'met' if ok else 'NOT met'}: {name}" for name, ok in checks.items()]
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--chats", type=int, default=100_000)
    parser.add_argument("--messages", type=int, default=20)
    parser.add_argument("--creates", type=int, default=500, help="chats created through the API")
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--max-build-seconds", type=float, default=1800)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    figures = asyncio.run(run(args))
    print(json.dumps(figures, indent=2) if args.json else report(figures))
    return 0


if __name__ == "__main__":
    sys.exit(main())
