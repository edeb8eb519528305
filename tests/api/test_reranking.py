"""Optional reranking: the admin chooses a connection's model with `/rerank`; retrieval's
fused passages are ordered again by it, and by the fused order when it fails."""

from __future__ import annotations

import httpx
import pytest

from confide.services.context import Context
from tests.api.test_chats import upstream  # noqa: F401
from tests.api.test_file_search import ready, search
from tests.fakes.openai_server import FakeOpenAI

pytestmark = pytest.mark.usefixtures("upstream")
NOTES = "# Notes\n\n" + "\n\n".join(
    [
        "## Garden\n\nThe garden needs water every morning in summer.",
        "## Trip\n\nThe trip to the coast leaves on Friday morning.",
        "## Budget\n\nThe budget for the garden and the trip is small this summer.",
    ]
)


async def test_a_chosen_reranker_orders_the_passages_again(
    ctx: Context, admin: httpx.AsyncClient, user: httpx.AsyncClient, fake_openai: FakeOpenAI
) -> None:
    await ready(user, ctx, "notes.md", NOTES)
    before = await search(user, "garden trip budget summer")
    chosen = await admin.patch("/api/settings", json={"rerank_model": "fake-small"})
    assert chosen.status_code == 200 and chosen.json()["rerank_model"] == "fake-small"
    after = await search(user, "garden trip budget summer", limit=2)
    assert len(after) == 2 and "budget" in after[0]["text"].lower()
    assert [item["score"] for item in after] == sorted((i["score"] for i in after), reverse=True)
    asked = [r.json for r in fake_openai.requests if r.path.endswith("/rerank")]
    assert asked[-1]["query"] == "garden trip budget summer"
    assert len(asked[-1]["documents"]) == len(before)  # every fused candidate, to order again
    # a failing reranker leaves the fused order
    fake_openai.script(status=500, body={"error": {"message": "down"}})
    failed = await search(user, "garden trip budget summer")
    assert [i["ordinal"] for i in failed] == [i["ordinal"] for i in before]
    fake_openai.script()
    off = await admin.patch("/api/settings", json={"rerank_model": ""})
    assert off.json()["rerank_model"] == ""
    count = len([r for r in fake_openai.requests if r.path.endswith("/rerank")])
    await search(user, "garden")
    assert len([r for r in fake_openai.requests if r.path.endswith("/rerank")]) == count


async def test_a_model_that_cannot_rerank_is_refused(
    admin: httpx.AsyncClient, fake_openai: FakeOpenAI
) -> None:
    assert (await admin.get("/api/models")).status_code == 200
    fake_openai.script(status=404, body={"error": {"message": "no rerank here"}})
    refused = await admin.patch("/api/settings", json={"rerank_model": "fake-small"})
    assert refused.status_code == 400 and "cannot rerank" in refused.json()["detail"]
    fake_openai.script()
    unknown = await admin.patch("/api/settings", json={"rerank_model": "nope"})
    assert unknown.status_code == 400 and "Unknown model" in unknown.json()["detail"]
    assert (await admin.get("/api/settings")).json()["rerank_model"] == ""
