"""Documents: ingestion throughput and retrieval latency.

- ingest: one generated Markdown document (`--ingest-chunks` passages of ~200 tokens) through
  the whole pipeline a real upload takes: sealed upload, sniffing, parsing in the child
  process, chunking, the built-in embedder, sealed passages and vectors. Reported as passages
  and tokens per second, end to end (the embedder alone: benchmarks/rag_embedder.py).
- retrieval: `GET /api/files/search` (hybrid: vectors and BM25 keywords, fused) p50/p99 for a
  user whose files hold `--chunks` passages (default 10,000 and 100,000), cold (vectors and
  keyword indexes opened from their sealed values), warm (the in-memory cache) and right
  after one more file of 1,000 passages was added (restacked from the cache). The
  passages for this part are written straight through the store, as ingestion would write
  them, in files of 1,000: their text drawn from a Zipf distribution over 50,000 words (as
  natural text's words are), their vectors random unit vectors (the search does the same work
  whatever the numbers). Questions are 5 words drawn the same way.

Bounded: the build stops at `--max-build-seconds`. Every timing is in-process ASGI (no
sockets).

    .venv/bin/python benchmarks/rag.py [--chunks 10000 100000] [--json]
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import random
import resource
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
import numpy as np

from confide.app import build_context, close_context, create_app
from confide.db.ids import new_id
from confide.db.tables import Chunk, ChunkVectors, File
from confide.services import ingest
from confide.services.context import Context
from confide.settings import Settings
from confide.store import blobs, keys

BASE = "http://127.0.0.1"
PER_FILE = 1000
TARGET_P50_MS = 30.0
WORDS = [
    "river",
    "otter",
    "crayfish",
    "honey",
    "bee",
    "flower",
    "invoice",
    "contract",
    "escrow",
    "merger",
    "quarterly",
    "revenue",
    "forecast",
    "bread",
    "oven",
    "recipe",
    "flour",
    "garden",
    "tomato",
    "compost",
    "server",
    "latency",
    "database",
    "index",
    "backup",
    "restore",
    "policy",
    "holiday",
    "travel",
    "passport",
    "museum",
    "painting",
    "violin",
    "concert",
]


VOCABULARY = WORDS + [f"term{n}" for n in range(50_000 - len(WORDS))]
ZIPF = list(itertools.accumulate(1 / (rank + 1) ** 1.07 for rank in range(len(VOCABULARY))))


def words(rng: random.Random, count: int) -> list[str]:
    """`count` words drawn as natural text's are (Zipf's law over a 50,000-word vocabulary:
    the most common words are in nearly every passage, most words in very few)."""
    return rng.choices(VOCABULARY, cum_weights=ZIPF, k=count)


def paragraph(rng: random.Random, count: int) -> str:
    return " ".join(words(rng, count)).capitalize() + "."


def document(rng: random.Random, chunks: int) -> str:
    """The ingestion test's document: sections of 140 everyday words (about one passage of
    ~200 tokens each, as in the figures reported before retrieval's corpus became Zipfian)."""
    parts = ["# Generated handbook"]
    for section in range(chunks):
        text = " ".join(rng.choice(WORDS) for _ in range(140)).capitalize() + "."
        parts.append(f"## Section {section}\n\n{text}")
    return "\n\n".join(parts)


async def measure_ingest(
    c: httpx.AsyncClient, ctx: Context, chunks: int, seed: int
) -> dict[str, Any]:
    text = document(random.Random(seed), chunks).encode()
    sent = await c.post("/api/files", files={"file": ("handbook.md", text, "text/markdown")})
    sent.raise_for_status()
    start = time.perf_counter()
    await ingest.run_pending(ctx)
    seconds = time.perf_counter() - start
    done = (await c.get(f"/api/files/{sent.json()['id']}")).json()
    tokens = sum(ctx.embedder.count_tokens(p) for p in text.decode().split("\n\n"))
    return {
        "ingest_passages": done["chunk_count"],
        "ingest_seconds": round(seconds, 2),
        "ingest_passages_per_s": round(done["chunk_count"] / seconds, 1),
        "ingest_tokens_per_s": round(tokens / seconds),
    }


async def add_passages(ctx: Context, owner: str, count: int, rng: random.Random) -> None:
    """`count` passages in files of PER_FILE, sealed as ingestion writes them."""
    gen = np.random.default_rng(rng.randrange(2**32))
    async with ctx.db.read() as session:
        cipher = await keys.cipher_for(session, ctx.sealer, owner)
    for first in range(0, count, PER_FILE):
        size = min(PER_FILE, count - first)
        file_id = new_id()
        vectors = gen.standard_normal((size, ctx.embedder.dimensions)).astype(np.float32)
        vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
        rows, texts = [], []
        for n in range(size):
            texts.append(paragraph(rng, 140))
            body = {
                "text": texts[-1],
                "headings": ["Generated"],
                "location": f"line {n}",
                "end_location": f"line {n}",
            }
            sealed = cipher.seal("chunks", "body", f"{file_id}/{n}", json.dumps(body))
            rows.append(Chunk(file_id=file_id, ordinal=n, tokens=200, body=sealed))
        blocks = [
            ChunkVectors(
                file_id=file_id,
                block=b,
                embedder=ctx.embedder.name,
                vectors=cipher.seal_bytes(
                    "chunk_vectors",
                    "vectors",
                    f"{file_id}/{b}",
                    vectors[s : s + ingest.VECTOR_BLOCK].astype(np.float16).tobytes(),
                ),
            )
            for b, s in enumerate(range(0, size, ingest.VECTOR_BLOCK))
        ]
        name = cipher.seal("files", "name", file_id, f"generated-{first}.md")
        async with ctx.db.write() as session:
            session.add(
                File(
                    id=file_id,
                    user_id=owner,
                    name=name,
                    size=0,
                    blob=blobs.new_key(),
                    content_type="text/markdown",
                    kind="markdown",
                    status="ready",
                    progress=100,
                    chunk_count=size,
                    embedder=ctx.embedder.name,
                )
            )
            await session.flush()
            session.add_all([*rows, *blocks, ingest.keyword_row(cipher, file_id, texts)])


async def measure_search(
    c: httpx.AsyncClient, ctx: Context, owner: str, repeat: int, rng: random.Random
) -> dict[str, float]:
    def query() -> dict[str, str]:
        return {"q": " ".join(words(rng, 5))}

    ctx.vectors.clear()  # a cold search: every file's indexes opened from their sealed values
    start = time.perf_counter()
    (await c.get("/api/files/search", params=query())).raise_for_status()
    cold = (time.perf_counter() - start) * 1000
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        (await c.get("/api/files/search", params=query())).raise_for_status()
        times.append((time.perf_counter() - start) * 1000)
    times.sort()
    # A file added since: the set's stack and keyword index are rebuilt from the cached ones,
    # only the new file opened from the database.
    await add_passages(ctx, owner, PER_FILE, rng)
    start = time.perf_counter()
    (await c.get("/api/files/search", params=query())).raise_for_status()
    added = (time.perf_counter() - start) * 1000
    return {
        "cold_ms": round(cold, 1),
        "after_new_file_ms": round(added, 1),
        "p50_ms": round(statistics.median(times), 1),
        "p99_ms": round(times[min(len(times) - 1, int(len(times) * 0.99))], 1),
        "cache_mib": round(ctx.vectors.size_bytes / 2**20, 1),
    }


async def run(args: argparse.Namespace) -> dict[str, Any]:
    root = Path(tempfile.mkdtemp(prefix="confide-rag-"))
    settings = Settings(data_dir=root / "data", password_hash_memory_kib=19456, public_url=BASE)
    figures: dict[str, Any] = {}
    rng = random.Random(args.seed)
    try:
        ctx = await build_context(settings)
        app = create_app(settings, ctx)
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app),
            base_url=BASE,
            headers={"x-confide-csrf": "1"},
            timeout=600,
        ) as c:
            body = {"email": "bench@example.com", "password": "benchmark passphrase 1", "name": "B"}
            owner = (await c.post("/api/auth/signup", json=body)).json()["id"]
            figures |= await measure_ingest(c, ctx, args.ingest_chunks, args.seed)
            deadline = time.monotonic() + args.max_build_seconds
            have = figures["ingest_passages"]
            for target in sorted(args.chunks):
                if time.monotonic() > deadline:
                    figures[f"search_{target}"] = "not built: --max-build-seconds reached"
                    continue
                await add_passages(ctx, owner, max(0, target - have), rng)
                have = max(have, target)
                figures[f"search_{target}"] = await measure_search(c, ctx, owner, args.repeat, rng)
                have += PER_FILE
        await close_context(ctx)
    finally:
        shutil.rmtree(root)
    figures["peak_rss_mib"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
    return figures


def report(figures: dict[str, Any]) -> str:
    lines = [f"{k}: {v}" for k, v in figures.items()]
    largest = max((k for k in figures if k.startswith("search_")), key=lambda k: int(k[7:]))
    result = figures[largest]
    if isinstance(result, dict):
        verdict = "met" if result["p50_ms"] < TARGET_P50_MS else "NOT met"
        lines.append(f"{verdict}: retrieval p50 < {TARGET_P50_MS:g} ms at {largest[7:]} passages")
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--chunks", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--ingest-chunks", type=int, default=200)
    parser.add_argument("--repeat", type=int, default=50)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--max-build-seconds", type=float, default=1200)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    figures = asyncio.run(run(args))
    print(json.dumps(figures, indent=2) if args.json else report(figures))
    return 0


if __name__ == "__main__":
    sys.exit(main())
