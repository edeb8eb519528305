"""The Prometheus series of one app, in a registry of its own (never the process-global one,
so two apps in one process, as in the tests, never share or collide).

Imported only when metrics are on (api/metrics.py): prometheus_client brings http.server and
wsgiref with it, about 80 ms of start-up a server without metrics does not pay.

Nothing of prometheus_client runs per request: requests are tallied in plain numbers (its own
Counter and Histogram take a lock per call, about 3 µs a request together) and become
metric families when scraped, as do the figures the lower layers keep (running generations,
tokens relayed, the database pool). Labels never hold anything a user chose: routes are
templates (`/api/chats/{chat_id}`), a request no route matched is `unmatched`, and a method
that is not one of HTTP's usual ones is `other`.
"""

from __future__ import annotations

from bisect import bisect_left
from collections import defaultdict
from collections.abc import Callable, Iterator
from typing import Any

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from prometheus_client.core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    HistogramMetricFamily,
    Metric,
)

from confide.services import ingest
from confide.services.context import Context

METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
STATUS_CLASSES = ("1xx", "2xx", "3xx", "4xx", "5xx")
# Time to the response's start: for a stream that is its first byte, not its whole length.
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


class Metrics:
    """One app's registry: request counts and latency, and the scrape-time figures."""

    content_type = CONTENT_TYPE_LATEST

    def __init__(self, context: Callable[[], Context], draining: Callable[[], bool]) -> None:
        self.registry = CollectorRegistry()
        self.requests = RequestCollector()
        self.runtime = RuntimeCollector(context, draining)
        self.registry.register(self.requests)
        self.registry.register(self.runtime)
        self.observe = self.requests.observe

    async def render(self) -> bytes:
        """The text format, with the queue depth read from the database first."""
        self.runtime.queue = await ingest.queue_depth(self.runtime.context())
        return generate_latest(self.registry)


class Tally:
    """One (method, route, status)'s requests: a count, their total time, and how many fell
    in each latency bucket (not cumulative; the last one is over the largest bound)."""

    __slots__ = ("buckets", "count", "total")

    def __init__(self) -> None:
        self.count = 0
        self.total = 0.0
        self.buckets = [0] * (len(LATENCY_BUCKETS) + 1)


class RequestCollector:
    """Answered requests, tallied in plain numbers on the hot path (the event loop's thread
    only: no lock) and turned into Prometheus families when scraped."""

    def __init__(self) -> None:
        self.tallies: dict[tuple[str, str, int], Tally] = {}

    def observe(self, method: str, route: str, status: int, seconds: float) -> None:
        """Count one answered request: a set and a dict lookup, three additions."""
        if method not in METHODS:  # any token is a method: keep the label set bounded
            method = "other"
        tally = self.tallies.get((method, route, status))
        if tally is None:
            tally = self.tallies[(method, route, status)] = Tally()
        tally.count += 1
        tally.total += seconds
        tally.buckets[bisect_left(LATENCY_BUCKETS, seconds)] += 1

    def describe(self) -> list[Metric]:
        return []

    def collect(self) -> Iterator[Metric]:
        requests = CounterMetricFamily(
            "confide_http_requests",
            "HTTP requests answered, by method, route template and status class.",
            labels=("method", "route", "status"),
        )
        by_class: defaultdict[tuple[str, str, str], int] = defaultdict(int)
        latency: dict[tuple[str, str], Tally] = {}
        for (method, route, status), tally in list(self.tallies.items()):
            by_class[(method, route, _status_class(status))] += tally.count
            _add(latency.setdefault((method, route), Tally()), tally)
        for labels, count in sorted(by_class.items()):
            requests.add_metric(labels, count)
        yield requests
        yield _histogram(latency)


def _status_class(status: int) -> str:
    return STATUS_CLASSES[min(max(status // 100, 1), 5) - 1]


def _add(into: Tally, tally: Tally) -> None:
    into.count += tally.count
    into.total += tally.total
    into.buckets = [a + b for a, b in zip(into.buckets, tally.buckets, strict=True)]


def _histogram(latency: dict[tuple[str, str], Tally]) -> HistogramMetricFamily:
    family = HistogramMetricFamily(
        "confide_http_request_duration_seconds",
        "Time from a request's arrival to its response's start (headers sent).",
        labels=("method", "route"),
    )
    bounds = [*(f"{b:g}" for b in LATENCY_BUCKETS), "+Inf"]
    for labels, tally in sorted(latency.items()):
        cumulative, running = [], 0
        for bound, count in zip(bounds, tally.buckets, strict=True):
            running += count
            cumulative.append((bound, running))
        family.add_metric(labels, cumulative, sum_value=tally.total)
    return family


class RuntimeCollector:
    """Figures read when scraped, from the objects that keep them as plain numbers."""

    def __init__(self, context: Callable[[], Context], draining: Callable[[], bool]) -> None:
        self.context = context
        self.draining = draining
        self.queue: dict[str, int] = {}

    def describe(self) -> list[Metric]:
        return []  # registered before the app's context exists: nothing to read yet

    def collect(self) -> Iterator[Metric]:
        ctx = self.context()
        runner = ctx.runner
        yield _gauge("confide_generations_active", "Replies being generated now.", runner.active)
        yield CounterMetricFamily(
            "confide_generation_deltas",
            "Pieces of reply text (deltas) relayed to followers.",
            value=runner.deltas_relayed,
        )
        yield CounterMetricFamily(
            "confide_generation_completion_tokens",
            "Completion tokens of finished replies, as their models counted them.",
            value=runner.completion_tokens,
        )
        queue = GaugeMetricFamily(
            "confide_ingest_queue_files",
            "Files waiting for ingestion (pending) or being read (processing), all replicas.",
            labels=("state",),
        )
        for state, count in sorted(self.queue.items()):
            queue.add_metric((state,), count)
        yield queue
        draining = 1 if self.draining() else 0
        yield _gauge("confide_draining", "1 while this replica drains for shutdown.", draining)
        yield from _pool(ctx)


def _gauge(name: str, documentation: str, value: float) -> GaugeMetricFamily:
    return GaugeMetricFamily(name, documentation, value=value)


def _pool(ctx: Context) -> Iterator[Metric]:
    """Connections checked out of the database pool and its size, where the pool has them
    (SQLAlchemy's queue pools do; a static or null pool does not)."""
    pool: Any = ctx.db.engine.pool
    if callable(getattr(pool, "checkedout", None)):
        yield _gauge(
            "confide_db_pool_checked_out", "Database connections in use.", pool.checkedout()
        )
    if callable(getattr(pool, "size", None)):
        yield _gauge(
            "confide_db_pool_size", "Database connections the pool keeps open.", pool.size()
        )
