"""What counting requests for /metrics costs per request, on the ASGI calls alone (no sockets,
no HTTP parsing: the smallest figure anything else would be added to).

    .venv/bin/python benchmarks/metrics_middleware.py            # a table
    .venv/bin/python benchmarks/metrics_middleware.py --json

Two measures, each the best of `--repeat` runs:

- `middleware alone`: an endpoint that answers at once, called bare and through
  RequestMetricsMiddleware (the route already in the scope, as the router leaves it): the
  middleware's own cost per request.
- `whole app`: GET /healthz through Confide's app (every middleware, FastAPI's routing), with
  metrics off and on.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import tempfile
import time
from pathlib import Path
from typing import Any

from starlette.routing import Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from confide.api.exposition import Metrics
from confide.api.metrics import RequestMetricsMiddleware
from confide.app import create_app
from confide.settings import Settings

ROUTE = Route("/api/chats/{chat_id}", lambda request: None)
START: Message = {"type": "http.response.start", "status": 200, "headers": []}
BODY: Message = {"type": "http.response.body", "body": b"{}"}


async def endpoint(scope: Scope, receive: Receive, send: Send) -> None:
    scope["route"] = ROUTE  # what the router leaves in the scope
    await send(START)
    await send(BODY)


async def receive() -> Message:
    return {"type": "http.request", "body": b"", "more_body": False}


async def discard(message: Message) -> None:
    return None


def request(path: str) -> Scope:
    return {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "root_path": "",
        "query_string": b"",
        "headers": [(b"host", b"127.0.0.1:8080")],
        "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", 8080),
    }


async def per_request_us(app: ASGIApp, path: str, count: int) -> float:
    for _ in range(min(count, 1000)):  # warm-up: labels created, caches filled
        await app(request(path), receive, discard)
    started = time.perf_counter()
    for _ in range(count):
        await app(request(path), receive, discard)
    return (time.perf_counter() - started) / count * 1e6


def unused_context() -> Any:
    raise RuntimeError("not scraped in this benchmark")


async def measure(count: int, repeat: int) -> dict[str, float]:
    counted = RequestMetricsMiddleware(endpoint, Metrics(unused_context, lambda: False))
    figures: dict[str, list[float]] = {k: [] for k in ("bare", "counted", "app off", "app on")}
    with tempfile.TemporaryDirectory() as tmp:
        plain = create_app(Settings(data_dir=Path(tmp)))
        metered = create_app(Settings(data_dir=Path(tmp), metrics_networks=["127.0.0.0/8"]))
        for _ in range(repeat):
            figures["bare"].append(await per_request_us(endpoint, "/x", count))
            figures["counted"].append(await per_request_us(counted, "/x", count))
            figures["app off"].append(await per_request_us(plain, "/healthz", count // 10))
            figures["app on"].append(await per_request_us(metered, "/healthz", count // 10))
    return {name: min(values) for name, values in figures.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=200_000, help="requests per run")
    parser.add_argument("--repeat", type=int, default=5, help="runs; the best is kept")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args()
    best = asyncio.run(measure(args.count, args.repeat))
    if args.json:
        print(json.dumps(best, indent=2))
        return
    added = best["counted"] - best["bare"]
    print(f"{'measure':<28}{'µs/request':>12}")
    print(f"{'endpoint alone':<28}{best['bare']:>12.2f}")
    print(f"{'through the middleware':<28}{best['counted']:>12.2f}")
    print(f"{'  middleware cost':<28}{added:>12.2f}")
    print(f"{'whole app, metrics off':<28}{best['app off']:>12.2f}")
    print(f"{'whole app, metrics on':<28}{best['app on']:>12.2f}")
    share = (best["app on"] - best["app off"]) / best["app off"] * 100
    print(f"{'  difference':<28}{best['app on'] - best['app off']:>12.2f}  ({share:+.1f} %)")


if __name__ == "__main__":
    main()
