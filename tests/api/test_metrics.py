"""`/metrics`: hidden until restricted, then by token and/or network; series with route
templates (never ids), generations and tokens, the ingestion queue and the database pool."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from confide.api.metrics import RequestMetricsMiddleware
from confide.app import create_app
from confide.services.context import Context
from tests.api.test_chats import finished, new_chat, send
from tests.conftest import make_settings, new_client, signup
from tests.fakes.openai_server import FakeOpenAI

TOKEN = "a-metrics-token-long-enough"
AUTH = {"authorization": f"Bearer {TOKEN}"}


MetricsApp = Callable[..., Any]


@pytest.fixture
def metrics_app(ctx: Context, tmp_path: Path, database_url: str) -> MetricsApp:
    """Builds an app over the test's context, with metrics settings of its own."""

    def build(**overrides: Any) -> Any:
        return create_app(make_settings(tmp_path, database_url, **overrides), ctx)

    return build


def sample(text: str, name: str, **labels: str) -> float:
    """The value of one series in the text format; fails when it is absent."""
    wanted = ",".join(f'{k}="{v}"' for k, v in sorted(labels.items()))
    for line in text.splitlines():
        if line.startswith("#"):
            continue
        series, _, value = line.rpartition(" ")
        found = re.fullmatch(r"([^{]+)(?:\{(.*)\})?", series)
        if found and found[1] == name and ",".join(sorted((found[2] or "").split(","))) == (wanted):
            return float(value)
    raise AssertionError(f"no {name}{{{wanted}}} in:\n{text}")


async def test_without_token_or_networks_it_is_an_unknown_address(
    client: httpx.AsyncClient, app: Any
) -> None:
    metrics = await client.get("/metrics")
    unknown = await client.get("/no-such-address")
    assert metrics.status_code == unknown.status_code == 404
    assert metrics.json() == unknown.json()
    assert not hasattr(app.state, "metrics")
    assert not any(m.cls is RequestMetricsMiddleware for m in app.user_middleware)


async def test_the_token_is_required_when_set(metrics_app: MetricsApp) -> None:
    async with new_client(metrics_app(metrics_token=TOKEN)) as c:
        missing = await c.get("/metrics")
        wrong = await c.get("/metrics", headers={"authorization": f"Bearer {TOKEN}x"})
        basic = await c.get("/metrics", headers={"authorization": f"Basic {TOKEN}"})
        right = await c.get("/metrics", headers=AUTH)
    for refused in (missing, wrong, basic):
        assert refused.status_code == 401
        assert refused.headers["www-authenticate"] == "Bearer"
        assert "Authorization: Bearer" in refused.json()["detail"]
    assert right.status_code == 200
    assert right.headers["content-type"].startswith("text/plain")
    assert right.headers["cache-control"] == "no-store"
    assert "# TYPE confide_http_requests_total counter" in right.text


@pytest.mark.parametrize(
    ("networks", "expected"),
    [("127.0.0.0/8", 200), ("10.0.0.0/8, 127.0.0.1", 200), ("10.0.0.0/8,fd00::/8", 404)],
)
async def test_networks_are_matched_against_the_client_address(
    metrics_app: MetricsApp, networks: str, expected: int
) -> None:
    async with new_client(metrics_app(metrics_networks=networks)) as c:  # from 127.0.0.1
        response = await c.get("/metrics")
    assert response.status_code == expected


async def test_with_both_set_both_are_required(metrics_app: MetricsApp) -> None:
    inside = metrics_app(metrics_token=TOKEN, metrics_networks="127.0.0.0/8")
    outside = metrics_app(metrics_token=TOKEN, metrics_networks="10.0.0.0/8")
    async with new_client(inside) as c:
        assert (await c.get("/metrics")).status_code == 401
        assert (await c.get("/metrics", headers=AUTH)).status_code == 200
    async with new_client(outside) as c:
        assert (await c.get("/metrics", headers=AUTH)).status_code == 404


@pytest.fixture
async def observed(metrics_app: MetricsApp) -> AsyncIterator[httpx.AsyncClient]:
    async with new_client(metrics_app(metrics_token=TOKEN)) as c:
        yield c


async def test_requests_are_counted_by_route_template_never_by_id(
    observed: httpx.AsyncClient,
) -> None:
    me = await signup(observed, "m@example.com")
    chat_id = (await observed.post("/api/chats", json={})).json()["id"]
    for _ in range(3):
        assert (await observed.get(f"/api/chats/{chat_id}")).status_code == 200
    assert (await observed.get(f"/no/such/{chat_id}")).status_code == 404
    text = (await observed.get("/metrics", headers=AUTH)).text
    route = "/api/chats/{chat_id}"
    counted = "confide_http_requests_total"
    assert sample(text, counted, method="GET", route=route, status="2xx") == 3
    assert sample(text, counted, method="POST", route="/api/chats", status="2xx") == 1
    assert sample(text, counted, method="GET", route="unmatched", status="4xx") == 1
    latency = "confide_http_request_duration_seconds"
    assert sample(text, f"{latency}_count", method="GET", route=route) == 3
    assert sample(text, f"{latency}_bucket", method="GET", route=route, le="+Inf") == 3
    assert sample(text, f"{latency}_bucket", method="GET", route=route, le="10") <= 3
    assert sample(text, f"{latency}_sum", method="GET", route=route) > 0
    assert chat_id not in text
    assert me["id"] not in text
    assert "_created" not in text


async def test_unusual_methods_share_one_label(observed: httpx.AsyncClient) -> None:
    assert (await observed.request("PROPFIND", "/api/chats")).status_code == 405
    text = (await observed.get("/metrics", headers=AUTH)).text
    labels = {"method": "other", "route": "/api/chats", "status": "4xx"}
    assert sample(text, "confide_http_requests_total", **labels) == 1


async def test_generations_tokens_and_pool_are_read_at_scrape_time(
    ctx: Context, user: httpx.AsyncClient, upstream: FakeOpenAI, observed: httpx.AsyncClient
) -> None:
    upstream.script(chunks=["a", "b", "c"])
    before = (await observed.get("/metrics", headers=AUTH)).text
    assert sample(before, "confide_generations_active") == 0
    assert sample(before, "confide_generation_deltas_total") == 0
    chat_id = await new_chat(user)
    sent = await send(user, chat_id, content="three pieces")
    await finished(ctx, sent)
    reply = (await user.get(f"/api/chats/{chat_id}")).json()["messages"][-1]
    after = (await observed.get("/metrics", headers=AUTH)).text
    # Pieces that arrive together are relayed as one delta: between one and three.
    assert 1 <= sample(after, "confide_generation_deltas_total") <= 3
    tokens = sample(after, "confide_generation_completion_tokens_total")
    assert tokens == reply["usage"]["completion_tokens"] > 0
    assert sample(after, "confide_draining") == 0
    assert sample(after, "confide_db_pool_size") > 0
    assert sample(after, "confide_db_pool_checked_out") >= 0


async def test_the_ingestion_queue_is_counted(
    ctx: Context, user: httpx.AsyncClient, observed: httpx.AsyncClient
) -> None:
    empty = (await observed.get("/metrics", headers=AUTH)).text
    assert sample(empty, "confide_ingest_queue_files", state="pending") == 0
    uploaded = await user.post(
        "/api/files", files={"file": ("notes.md", b"# Notes\n\nSome words.\n", "text/markdown")}
    )
    assert uploaded.status_code == 201, uploaded.text
    queued = (await observed.get("/metrics", headers=AUTH)).text  # no worker runs in tests
    assert sample(queued, "confide_ingest_queue_files", state="pending") == 1
    assert sample(queued, "confide_ingest_queue_files", state="processing") == 0


async def test_two_apps_in_one_process_keep_their_own_figures(metrics_app: MetricsApp) -> None:
    first, second = metrics_app(metrics_token=TOKEN), metrics_app(metrics_token=TOKEN)
    async with new_client(first) as a, new_client(second) as b:
        await a.get("/healthz")
        await a.get("/healthz")
        text = (await b.get("/metrics", headers=AUTH)).text
    assert "/healthz" not in text


@pytest.fixture
async def upstream(admin: httpx.AsyncClient, fake_openai: FakeOpenAI) -> FakeOpenAI:
    response = await admin.post(
        "/api/connections",
        json={"kind": "openai", "name": "Fake", "base_url": fake_openai.base_url},
    )
    assert response.status_code == 201, response.text
    return fake_openai
