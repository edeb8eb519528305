"""Two `confide serve` processes on different ports sharing this machine's PostgreSQL and
Redis, as replicas behind a load balancer would: whatever one starts, the other can follow,
stop, refuse or finish.

They run in the PostgreSQL pass of `make test` (each module gets a fresh database) and skip,
saying why, where PostgreSQL or Redis is missing.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.e2e.fake_model import ScriptedModel
from tests.scale.conftest import MakeSettings
from tests.scale.pair import Pair, member, start_pair

MODEL = "fake-small"


@pytest.fixture(scope="module")
def pair(
    new_settings: MakeSettings,
    scale_model: ScriptedModel,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Pair]:
    root = tmp_path_factory.mktemp("replicas")
    yield from start_pair(root, new_settings(), scale_model.base_url)


def sse(response: httpx.Response) -> Iterator[tuple[int | None, str, dict[str, Any]]]:
    """(id, event, data) of each SSE event as it arrives."""
    fields: dict[str, str] = {}
    for line in response.iter_lines():
        if line:
            name, _, value = line.partition(": ")
            fields[name] = value
            continue
        if "event" in fields:
            seq = int(fields["id"]) if fields.get("id") else None
            yield seq, fields["event"], json.loads(fields["data"])
        fields = {}


def send(client: httpx.Client, text: str) -> tuple[str, str]:
    chat = client.post("/api/chats", json={}).json()["id"]
    sent = client.post(f"/api/chats/{chat}/messages", json={"model": MODEL, "content": text})
    assert sent.status_code == 201, sent.text
    return chat, sent.json()["assistant_message_ids"][0]


def reply(client: httpx.Client, chat: str) -> dict[str, Any]:
    messages: list[dict[str, Any]] = client.get(f"/api/chats/{chat}").json()["messages"]
    return messages[-1]


def eventually(
    check: Callable[[], bool], seconds: float, last: Callable[[], object] = str
) -> float:
    """Poll `check` until true; answers the seconds it took (fails after `seconds`, showing
    `last()`)."""
    started = time.monotonic()
    while time.monotonic() - started < seconds:
        if check():
            return time.monotonic() - started
        time.sleep(0.05)
    raise AssertionError(f"not within {seconds} s: {last()}")


def test_a_reply_started_on_one_replica_is_followed_resumed_and_stopped_on_the_other(
    pair: Pair,
) -> None:
    with member(pair.a) as on_a, member(pair.b, cookies=on_a.cookies) as on_b:
        chat, message = send(on_a, "slow, please")
        stream = f"/api/chats/{chat}/messages/{message}/stream"
        seen: list[tuple[int | None, str, dict[str, Any]]] = []
        with on_b.stream("GET", stream, timeout=30) as response:
            assert response.status_code == 200
            for event in sse(response):
                seen.append(event)
                if len(seen) == 3:
                    stopped = on_b.post(f"/api/chats/{chat}/messages/{message}/stop")
                    assert stopped.status_code == 204, stopped.text
        kinds = [kind for _, kind, _ in seen]
        assert kinds[-1] == "done" and set(kinds[:-1]) == {"delta"}
        assert seen[-1][2]["status"] == "stopped"
        assert len(seen) < 40  # stopped long before the forty words were all sent
        text = "".join(data.get("text", "") for _, kind, data in seen if kind == "delta")
        final = reply(on_a, chat)
        assert final["status"] == "stopped"
        assert final["content"] == text  # what was relayed is what was kept
        with on_b.stream("GET", stream, headers={"Last-Event-ID": "2"}) as response:
            resumed = list(sse(response))
        assert [seq for seq, _, _ in resumed] == [seq for seq, _, _ in seen[2:]]


def test_a_session_ended_on_one_replica_is_refused_by_the_other_within_a_second(
    pair: Pair,
) -> None:
    with member(pair.a) as on_a, member(pair.b, cookies=on_a.cookies) as on_b:
        assert on_b.get("/api/auth/me").status_code == 200  # B knows (and caches) the session
        assert on_a.post("/api/auth/logout").status_code == 204
        took = eventually(lambda: on_b.get("/api/auth/me").status_code == 401, seconds=1.0)
        assert took < 1.0


def test_login_attempts_are_counted_across_replicas(pair: Pair) -> None:
    """CONFIDE_LOGIN_RATE_PER_ACCOUNT is 6 here: six wrong passwords spread over both
    replicas use it up; the next attempt is refused on either."""
    email = pair.new_member()
    wrong = {"email": email, "password": "not the password at all"}  # pragma: allowlist secret
    for server in (pair.a, pair.b) * 3:
        with server.api() as api:
            assert api.post("/api/auth/login", json=wrong).status_code == 401
    for server in (pair.a, pair.b):
        with server.api() as api:
            refused = api.post("/api/auth/login", json=wrong)
        assert refused.status_code == 429
        assert int(refused.headers["retry-after"]) > 0


def test_an_admins_change_is_seen_by_the_other_replica_at_once(pair: Pair) -> None:
    """A connection disabled on A disappears from B's model list (no waiting for a cache)."""
    with member(pair.a) as on_a, member(pair.b, cookies=on_a.cookies) as on_b:
        assert MODEL in model_ids(on_b)
    with pair.admin(pair.a) as admin:
        connection = admin.get("/api/connections").json()["items"][0]["id"]
        patched = admin.patch(f"/api/connections/{connection}", json={"enabled": False})
        assert patched.status_code == 200, patched.text
        try:
            with member(pair.b) as on_b:
                assert MODEL not in model_ids(on_b)
        finally:
            admin.patch(f"/api/connections/{connection}", json={"enabled": True})


def model_ids(client: httpx.Client) -> set[str]:
    return {model["id"] for model in client.get("/api/models").json()["items"]}


@pytest.fixture
def fresh_pair(
    new_settings: MakeSettings, scale_model: ScriptedModel, tmp_path: Path
) -> Iterator[Pair]:
    """A pair of its own, for tests that kill a replica."""
    yield from start_pair(tmp_path, new_settings(), scale_model.base_url)


def test_a_reply_whose_replica_is_killed_ends_interrupted_with_its_text(
    fresh_pair: Pair,
) -> None:
    pair = fresh_pair
    with member(pair.a) as on_a, member(pair.b, cookies=on_a.cookies) as on_b:
        chat, message = send(on_a, "slow, please")
        stream = f"/api/chats/{chat}/messages/{message}/stream"
        seen: list[tuple[int | None, str, dict[str, Any]]] = []
        started = time.monotonic()
        with on_b.stream("GET", stream, timeout=60) as response:
            for event in sse(response):
                seen.append(event)
                if len(seen) == 12:
                    time.sleep(0.6)  # let A save what it has (it saves every 0.25 s)
                    pair.a.kill()
                    killed = time.monotonic()
        ended = time.monotonic()
        assert seen[-1][1] == "done" and seen[-1][2]["status"] == "interrupted"
        assert ended - killed < pair.timeout + 3  # B noticed within its timeout (+ one beat)
        final = reply(on_b, chat)
        assert final["status"] == "interrupted"
        relayed = "".join(data.get("text", "") for _, kind, data in seen if kind == "delta")
        assert final["content"], "the text generated before the kill is kept"
        assert relayed.startswith(final["content"])
        assert ended - started < 40


def test_a_file_uploaded_through_one_replica_is_downloaded_through_the_other(
    pair: Pair,
) -> None:
    data = b"A line in a file. " * 50_000 + bytes(range(256))  # ~900 KB, some binary
    with member(pair.a) as on_a, member(pair.b, cookies=on_a.cookies) as on_b:
        uploaded = on_a.post("/api/files", files={"file": ("notes.txt", data, "text/plain")})
        assert uploaded.status_code == 201, uploaded.text
        file_id = uploaded.json()["id"]
        downloaded = on_b.get(f"/api/files/{file_id}/content")
        assert downloaded.status_code == 200
        assert downloaded.content == data
        assert on_b.delete(f"/api/files/{file_id}").status_code == 204
        assert on_a.get(f"/api/files/{file_id}/content").status_code == 404


def test_an_ingestion_on_a_killed_replica_is_finished_by_the_other(fresh_pair: Pair) -> None:
    pair = fresh_pair
    text = "\n\n".join(
        f"Paragraph {n}: the lighthouse keeper logged ship number {n * 7919 % 10007} "
        f"passing the northern reef at dawn, with weather code {n % 13} and crew {n % 29}."
        for n in range(1, 1200)
    ).encode()
    with member(pair.a) as on_a, member(pair.b, cookies=on_a.cookies) as on_b:
        uploaded = on_a.post("/api/files", files={"file": ("log.txt", text, "text/plain")})
        assert uploaded.status_code == 201, uploaded.text
        file_id = uploaded.json()["id"]

        def status() -> dict[str, Any]:
            found: dict[str, Any] = on_b.get(f"/api/files/{file_id}").json()
            return found

        # A was woken by its own upload (B only polls): A holds it. Past parsing, it embeds.
        eventually(lambda: status()["progress"] >= 20, 120, last=status)
        pair.a.kill()
        assert status()["status"] == "processing"  # A died in the middle of it
        eventually(lambda: status()["status"] == "ready", pair.lease + 150, last=status)
        assert status()["chunk_count"] > 0
        found = on_b.get("/api/files/search", params={"q": "Paragraph 1199 lighthouse"})
        assert found.status_code == 200, found.text
        texts = [item["text"] for item in found.json()["items"]]
        assert any("Paragraph 1199:" in text for text in texts), "the file's end is indexed"
