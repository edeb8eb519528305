"""Streaming relay: Confide beside the upstream itself and a bare aiohttp relay.

One run measures, one scenario at a time, at each concurrency (default 1, 200 and 1,000
simultaneous streams of 200 tokens sent 10 ms apart):

- upstream: a fake OpenAI-compatible server (aiohttp, its own process) streaming SSE chunks,
  one token per chunk, then a finish chunk, a usage chunk and `[DONE]`;
- relay: a bare aiohttp relay (its own process): one shared ClientSession to the upstream,
  each upstream chunk parsed once (json.loads) and passed on; the floor for Python here;
- v1: Confide's `/v1/chat/completions` (stream=true, an API key);
- chat: Confide's persisted path: `POST /api/chats/{id}/messages`, then
  `GET /api/chats/{id}/messages/{mid}/stream` (SSE) until the `done` event.

Confide runs as a real `python -m confide serve` on a temporary data dir (SQLite), with an
admin, an API key and a connection to the fake upstream. The load comes from a separate
process (aiohttp client), so a server's CPU figure is its own. Per target and concurrency:

- added time to first token: the client-observed TTFT minus the upstream's own TTFT at the
  same concurrency (median and p95), for the chat path counted from the POST;
- server CPU ms per 1,000 tokens: user + system CPU of the server's process tree
  (/proc/<pid>/stat) over the load window and until it is idle again, divided by the tokens
  the client received, times 1,000;
- completed streams / started (all tokens and the end marker), and wall time.

Then the ratios against the bare relay (Confide /v1 at most 1.5x, the persisted path at most
2x, on both figures) and whether every stream completed.

Standard library plus the project's aiohttp; 127.0.0.1 only; every scenario is bounded by a
timeout and every process started is stopped at the end. Run it with the project's interpreter:

    .venv/bin/python benchmarks/stream.py [--concurrency 1,200,1000] [--repeat N] [--json]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import importlib.util
import json
import math
import multiprocessing
import os
import platform
import resource
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections import Counter
from collections.abc import Coroutine, Iterator
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp import web
from procs import stop_server

HOST = "127.0.0.1"
MODEL = "bench-model"
WORD = " tok~"  # one token's text; no suffix of it is a prefix, so counts never overlap
WORD_BYTES = WORD.encode()
PROMPT = "Tell me something."
TARGETS = ("upstream", "relay", "v1", "chat")
LABELS = {
    "upstream": "upstream direct",
    "relay": "bare aiohttp relay",
    "v1": "Confide /v1",
    "chat": "Confide chat+SSE",
}
LIMITS = {"v1": 1.5, "chat": 2.0}  # at most this many times the bare relay, on both figures
END_MARKERS = {"chat": b'"status":"complete"'}  # the others end with the OpenAI [DONE]
DONE_MARKER = b"data: [DONE]"
TAIL_BYTES = 1024
BACKLOG = 4096
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
PASSWORD = "a sturdy benchmark passphrase 42"  # noqa: S105 (a throwaway account)
NO_TITLE_MODEL = "bench-no-title-model"  # an unknown task model: titles take the first words
SETUP_CONCURRENCY = 16
SETUP_TIMEOUT_S = 60.0
WARMUP_STREAMS = 4
BUSY_SHARE = 0.1  # other processes using more than this share of a core: a warning


class BenchError(Exception):
    """The benchmark cannot go on; the message says why."""


# --- processes and CPU -----------------------------------------------------------------------


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        port: int = sock.getsockname()[1]
        return port


def wait_listening(port: int, alive: Any, timeout: float = 20.0) -> None:
    """Until something accepts on `port`; `alive()` false means the process died."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not alive():
            raise BenchError(f"the process for port {port} exited before listening")
        with contextlib.suppress(OSError), socket.create_connection((HOST, port), timeout=1):
            return
        time.sleep(0.05)
    raise BenchError(f"nothing listens on port {port} after {timeout:g} s")


def stat_fields(pid: int) -> list[str] | None:
    """The fields after the command name (which may hold spaces and parentheses)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None


def process_tree(root: int) -> list[int]:
    """`root` and all its descendants, from the parent ids in /proc/*/stat."""
    children: dict[int, list[int]] = {}
    for entry in os.scandir("/proc"):
        fields = stat_fields(int(entry.name)) if entry.name.isdigit() else None
        if fields is not None:
            children.setdefault(int(fields[1]), []).append(int(entry.name))
    tree, todo = [], [root]
    while todo:
        pid = todo.pop()
        tree.append(pid)
        todo.extend(children.get(pid, []))
    return tree


def tree_cpu(root: int) -> float:
    """User + system CPU seconds of `root` and its descendants (all their threads)."""
    total = 0
    for pid in process_tree(root):
        fields = stat_fields(pid)
        if fields is not None:
            total += int(fields[11]) + int(fields[12])  # utime + stime
    return total / CLOCK_TICKS


def ours_cpu() -> float:
    """CPU of this process, of everything it started (alive) and of its reaped children."""
    fields = stat_fields(os.getpid()) or ["0"] * 15
    return tree_cpu(os.getpid()) + (int(fields[13]) + int(fields[14])) / CLOCK_TICKS


def machine_cpu() -> float:
    """Non-idle CPU seconds of the whole machine since boot (/proc/stat)."""
    values = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:9]]
    return (sum(values) - values[3] - values[4]) / CLOCK_TICKS  # less idle and iowait


def cpu_when_idle(root: int, step: float = 0.25, quiet: float = 0.02, limit: float = 10.0) -> float:
    """The tree's CPU once it has stopped working (e.g. final saves after the last stream)."""
    last = tree_cpu(root)
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        time.sleep(step)
        now = tree_cpu(root)
        if now - last < quiet:
            return now
        last = now
    return last


def pin(pid: int, cpus: set[int] | None) -> None:
    """Pin every thread of a process tree to `cpus` (threads started later inherit it)."""
    if not cpus:
        return
    for proc in process_tree(pid):
        with contextlib.suppress(OSError):
            for task in os.listdir(f"/proc/{proc}/task"):
                with contextlib.suppress(OSError):
                    os.sched_setaffinity(int(task), cpus)


def raise_open_files(needed: int) -> int:
    """Raise the soft RLIMIT_NOFILE towards `needed` (children inherit it); the new limit."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = needed if hard == resource.RLIM_INFINITY else min(needed, hard)
    if soft != resource.RLIM_INFINITY and soft < target:
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
        soft = target
    return int(soft)


def run_async(coro: Coroutine[Any, Any, Any]) -> Any:
    """uvloop when installed (as uvicorn uses it for Confide), else asyncio."""
    try:
        import uvloop
    except ImportError:
        return asyncio.run(coro)
    return uvloop.run(coro)


def child_setup(cpus: set[int] | None) -> None:
    if cpus:
        os.sched_setaffinity(0, cpus)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle


def stop_process(proc: multiprocessing.process.BaseProcess) -> None:
    if proc.is_alive():
        proc.terminate()
        proc.join(5)
    if proc.is_alive():
        proc.kill()
        proc.join(5)


# --- the fake upstream (its own process) -----------------------------------------------------


def sse(payload: dict[str, Any]) -> bytes:
    return b"data: " + json.dumps(payload).encode() + b"\n\n"


class FakeUpstream:
    """OpenAI-format SSE: a first chunk at once, one token per chunk `interval` s apart, a
    finish chunk, a usage chunk and [DONE]. Honours `max_tokens` (a title asks for few)."""

    def __init__(self, tokens: int, interval: float) -> None:
        self.tokens, self.interval = tokens, interval
        head = {"id": "chatcmpl-bench", "object": "chat.completion.chunk", "created": 0}
        head["model"] = MODEL

        def chunk(delta: dict[str, Any], reason: str | None = None) -> bytes:
            choice = {"index": 0, "delta": delta, "finish_reason": reason}
            return sse({**head, "choices": [choice]})

        self.first = chunk({"role": "assistant", "content": WORD})
        self.token = chunk({"content": WORD})
        self.finish = chunk({}, "stop")
        self.head = head

    def end(self, count: int) -> bytes:
        usage = {"prompt_tokens": 10, "completion_tokens": count, "total_tokens": 10 + count}
        return self.finish + sse({**self.head, "choices": [], "usage": usage}) + b"data: [DONE]\n\n"

    async def models(self, request: web.Request) -> web.Response:
        return web.json_response({"object": "list", "data": [{"id": MODEL, "object": "model"}]})

    async def chat(self, request: web.Request) -> web.StreamResponse:
        body = await request.json()
        count = max(1, min(self.tokens, int(body.get("max_tokens") or self.tokens)))
        resp = web.StreamResponse(headers={"Content-Type": "text/event-stream"})
        await resp.prepare(request)
        await resp.write(self.first)
        for _ in range(count - 1):
            await asyncio.sleep(self.interval)
            await resp.write(self.token)
        await resp.write(self.end(count))
        await resp.write_eof()
        return resp


async def serve_forever(app: web.Application, port: int) -> None:
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, HOST, port, backlog=BACKLOG).start()
    await asyncio.Event().wait()  # until the parent terminates the process


def upstream_main(port: int, tokens: int, interval: float, cpus: set[int] | None) -> None:
    child_setup(cpus)
    fake = FakeUpstream(tokens, interval)
    app = web.Application()
    app.router.add_get("/v1/models", fake.models)
    app.router.add_post("/v1/chat/completions", fake.chat)
    run_async(serve_forever(app, port))


# --- the bare relay (its own process) --------------------------------------------------------


def relayed(line: bytes) -> bool:
    """Whether a line goes on to the client; each chunk is parsed once, as any relay must."""
    if not line.startswith(b"data: "):
        return False
    if line != DONE_MARKER:
        json.loads(line[6:])
    return True


def relay_app(upstream_url: str) -> web.Application:
    """A few lines of aiohttp: the floor for a Python relay on this machine."""
    session_key = web.AppKey("session", aiohttp.ClientSession)

    async def session_ctx(app: web.Application) -> Any:
        connector = aiohttp.TCPConnector(limit=0)  # no pool limit: the floor, not a policy
        async with aiohttp.ClientSession(connector=connector) as session:
            app[session_key] = session
            yield

    async def relay(request: web.Request) -> web.StreamResponse:
        body = await request.read()
        headers = {"Content-Type": "application/json"}
        async with request.app[session_key].post(upstream_url, data=body, headers=headers) as up:
            resp = web.StreamResponse(headers={"Content-Type": "text/event-stream"})
            await resp.prepare(request)
            rest = b""
            async for data in up.content.iter_any():
                lines = (rest + data).split(b"\n")
                rest = lines.pop()
                out = [line + b"\n\n" for line in lines if relayed(line)]
                if out:
                    await resp.write(b"".join(out))
        await resp.write_eof()
        return resp

    app = web.Application()
    app.cleanup_ctx.append(session_ctx)
    app.router.add_post("/v1/chat/completions", relay)
    return app


def relay_main(port: int, upstream_url: str, cpus: set[int] | None) -> None:
    child_setup(cpus)
    run_async(serve_forever(relay_app(upstream_url), port))


# --- Confide (a real `confide serve`) --------------------------------------------------------


@dataclass(frozen=True)
class Confide:
    proc: subprocess.Popen[bytes]
    base_url: str
    log: Path
    cookie: str = ""
    api_key: str = ""


def confide_env(data_dir: Path, port: int, titles: bool) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CONFIDE_")}
    env |= {
        "PYTHONUNBUFFERED": "1",
        "CONFIDE_DATA_DIR": str(data_dir),
        "CONFIDE_HOST": HOST,
        "CONFIDE_PORT": str(port),
        "CONFIDE_PUBLIC_URL": f"http://{HOST}:{port}",
        "CONFIDE_PASSWORD_HASH_MEMORY_KIB": "19456",  # sign-up is not what is measured
    }
    if not titles:
        env["CONFIDE_TASK_MODEL"] = NO_TITLE_MODEL
    return env


def start_confide(tmp: Path, titles: bool, cpus: set[int] | None) -> Confide:
    port = free_port()
    log = tmp / "confide.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "confide", "serve"],
            env=confide_env(tmp / "data", port, titles),
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    base_url = f"http://{HOST}:{port}"
    try:
        wait_ready(proc, f"{base_url}/readyz", log)
        pin(proc.pid, cpus)
    except BaseException:
        stop_server(proc)
        raise
    return Confide(proc, base_url, log)


def wait_ready(proc: subprocess.Popen[bytes], url: str, log: Path, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise BenchError(f"confide serve exited with {proc.returncode}:\n{log.read_text()}")
        with contextlib.suppress(OSError), urllib.request.urlopen(url, timeout=1) as resp:  # noqa: S310
            if resp.status == 200:
                return
        time.sleep(0.05)
    raise BenchError(f"confide serve not ready after {timeout:g} s:\n{log.read_text()}")


def call(
    base_url: str, method: str, path: str, body: Any, headers: dict[str, str]
) -> tuple[Any, Any]:
    """One JSON request to our own server: (decoded body, response headers)."""
    request = urllib.request.Request(  # noqa: S310 (our own loopback URL)
        base_url + path,
        method=method,
        data=json.dumps(body).encode(),
        headers={"Content-Type": "application/json", "X-Confide-CSRF": "1", **headers},
    )
    with urllib.request.urlopen(request, timeout=30) as resp:  # noqa: S310
        return json.loads(resp.read() or b"null"), resp.headers


def provision(server: Confide, upstream_port: int) -> Confide:
    """The first account (the admin), a connection to the fake upstream, and an API key."""
    account = {"email": "bench@example.com", "password": PASSWORD, "name": "Bench"}
    _, headers = call(server.base_url, "POST", "/api/auth/signup", account, {})
    cookies = [c.split(";", 1)[0] for c in headers.get_all("Set-Cookie") or []]
    cookie = next((c for c in cookies if c.startswith("confide_session=")), "")
    if not cookie:
        raise BenchError("sign-up set no session cookie")
    auth = {"Cookie": cookie}
    upstream = {"kind": "openai", "name": "bench", "base_url": f"http://{HOST}:{upstream_port}/v1"}
    call(server.base_url, "POST", "/api/connections", upstream, auth)
    key, _ = call(server.base_url, "POST", "/api/api-keys", {"name": "bench"}, auth)
    return Confide(server.proc, server.base_url, server.log, cookie, key["key"])


# --- the load generator (its own process) ----------------------------------------------------


@dataclass(frozen=True)
class Load:
    target: str
    base_url: str
    concurrency: int
    waves: int
    tokens: int
    timeout: float
    headers: dict[str, str]
    cpus: set[int] | None


@dataclass
class Sample:
    """One stream as the client saw it."""

    ttft: float | None = None
    tokens: int = 0
    ok: bool = False
    error: str | None = None
    sent: float | None = None  # chat: when the POST that starts the reply was answered


class StreamFailed(Exception):
    pass


COMPLETION = json.dumps(
    {
        "model": MODEL,
        "messages": [{"role": "user", "content": PROMPT}],
        "stream": True,
        "stream_options": {"include_usage": True},
    }
).encode()


def load_main(load: Load, conn: Connection) -> None:
    child_setup(load.cpus)
    run_async(drive(load, conn))


async def drive(load: Load, conn: Connection) -> None:
    """Set up (chats to write in), say ready, wait for go, run the waves, send the samples."""
    connector = aiohttp.TCPConnector(limit=0)
    timeout = aiohttp.ClientTimeout(total=None, sock_connect=30, sock_read=60)
    async with aiohttp.ClientSession(
        load.base_url,
        connector=connector,
        timeout=timeout,
        headers=load.headers,
        cookie_jar=aiohttp.DummyCookieJar(),
    ) as session:
        chats = await new_chats(session, load) if load.target == "chat" else []
        conn.send("ready")
        await asyncio.to_thread(conn.recv)
        began = time.perf_counter()
        samples = await run_waves(session, load, chats)
        wall = time.perf_counter() - began
    conn.send((wall, [(s.ttft, s.tokens, s.ok, s.error, s.sent) for s in samples]))


async def new_chats(session: aiohttp.ClientSession, load: Load) -> list[str]:
    """One fresh chat per stream, so every message is a chat's first exchange."""
    gate = asyncio.Semaphore(SETUP_CONCURRENCY)

    async def one() -> str:
        async with gate, session.post("/api/chats", json={}) as resp:
            if resp.status != 201:
                raise StreamFailed(f"creating a chat: HTTP {resp.status} {await resp.text()}")
            chat_id: str = (await resp.json())["id"]
            return chat_id

    async with asyncio.timeout(SETUP_TIMEOUT_S):
        return list(await asyncio.gather(*(one() for _ in range(load.concurrency * load.waves))))


async def run_waves(session: aiohttp.ClientSession, load: Load, chats: list[str]) -> list[Sample]:
    """`waves` rounds of `concurrency` streams started together; all within `timeout`."""
    deadline = time.perf_counter() + load.timeout
    samples: list[Sample] = []
    for wave in range(load.waves):
        batch = [Sample() for _ in range(load.concurrency)]
        ids = chats[wave * load.concurrency : (wave + 1) * load.concurrency]
        tasks = [
            asyncio.ensure_future(stream_once(session, load, s, ids[i] if ids else ""))
            for i, s in enumerate(batch)
        ]
        _, pending = await asyncio.wait(tasks, timeout=max(0.0, deadline - time.perf_counter()))
        for task in pending:
            task.cancel()
        await asyncio.gather(*pending, return_exceptions=True)
        for sample in batch:
            if sample.error is None and not sample.ok:
                sample.error = f"not finished within the scenario timeout ({load.timeout:g} s)"
        samples += batch
        if pending:
            break
    return samples


async def stream_once(
    session: aiohttp.ClientSession, load: Load, sample: Sample, chat_id: str
) -> None:
    started = time.perf_counter()
    try:
        if load.target == "chat":
            path = await send_message(session, chat_id)
            sample.sent = time.perf_counter() - started
            request = session.get(path)
        else:
            headers = {"Content-Type": "application/json"}
            request = session.post("/v1/chat/completions", data=COMPLETION, headers=headers)
        async with request as resp:
            if resp.status != 200:
                raise StreamFailed(f"HTTP {resp.status} {(await resp.text())[:200]}")
            marker = END_MARKERS.get(load.target, DONE_MARKER)
            await read_stream(resp, sample, started, load.tokens, marker)
    except (aiohttp.ClientError, OSError, StreamFailed, ValueError, KeyError) as exc:
        sample.error = f"{type(exc).__name__}: {exc}"[:300]


async def send_message(session: aiohttp.ClientSession, chat_id: str) -> str:
    body = {"content": PROMPT, "model": MODEL}
    async with session.post(f"/api/chats/{chat_id}/messages", json=body) as resp:
        if resp.status != 201:
            raise StreamFailed(f"sending: HTTP {resp.status} {(await resp.text())[:200]}")
        message_id = (await resp.json())["assistant_message_ids"][0]
    return f"/api/chats/{chat_id}/messages/{message_id}/stream"


async def read_stream(
    resp: aiohttp.ClientResponse, sample: Sample, started: float, expected: int, marker: bytes
) -> None:
    """Count tokens as they come (a read may carry several, or split one), note the first;
    complete with `expected` tokens and `marker` near the end."""
    carry = tail = b""
    async for data in resp.content.iter_any():
        buf = carry + data
        sample.tokens += buf.count(WORD_BYTES)
        carry = buf[1 - len(WORD_BYTES) :]
        if sample.ttft is None and sample.tokens:
            sample.ttft = time.perf_counter() - started
        tail = (tail + data)[-TAIL_BYTES:]
    sample.ok = sample.tokens == expected and marker in tail
    if not sample.ok:
        got = tail[-200:].decode(errors="replace").strip()
        sample.error = f"{sample.tokens}/{expected} tokens, ended with: {got}"


# --- one scenario ----------------------------------------------------------------------------


@dataclass
class Result:
    target: str
    concurrency: int
    started: int
    completed: int
    tokens: int
    wall_s: float
    server_cpu_s: float
    upstream_cpu_s: float
    others_cpu_s: float  # CPU that processes not ours used meanwhile: a busy machine
    window_s: float  # how long that was measured over
    ttfts: list[float]
    sends: list[float]  # chat: seconds until the POST was answered
    errors: Counter[str] = field(default_factory=Counter)

    @property
    def cpu_ms_per_1k(self) -> float | None:
        return self.server_cpu_s * 1e6 / self.tokens if self.tokens else None


@dataclass(frozen=True)
class Servers:
    """Who answers each target, and whose CPU counts for it."""

    urls: dict[str, str]
    pids: dict[str, int]
    headers: dict[str, dict[str, str]]
    upstream_pid: int
    client_cpus: set[int] | None


def run_scenario(servers: Servers, target: str, concurrency: int, waves: int, args: Any) -> Result:
    load = Load(
        target,
        servers.urls[target],
        concurrency,
        waves,
        args.tokens,
        args.timeout,
        servers.headers.get(target, {}),
        servers.client_cpus,
    )
    parent, child = multiprocessing.Pipe()
    proc = multiprocessing.get_context("spawn").Process(target=load_main, args=(load, child))
    proc.start()
    try:
        receive(parent, proc, SETUP_TIMEOUT_S + 30, "set up")
        pid = servers.pids[target]
        cpu0, up0 = tree_cpu(pid), tree_cpu(servers.upstream_pid)
        machine0, ours0, began = machine_cpu(), ours_cpu(), time.perf_counter()
        parent.send("go")
        wall, raw = receive(parent, proc, args.timeout + 30, "finish")
        cpu1 = cpu_when_idle(pid)
        up1 = tree_cpu(servers.upstream_pid)
    finally:
        stop_process(proc)
    others = machine_cpu() - machine0 - (ours_cpu() - ours0)
    window = time.perf_counter() - began
    samples = [Sample(*row) for row in raw]
    return Result(
        target,
        concurrency,
        started=len(samples),
        completed=sum(s.ok for s in samples),
        tokens=sum(s.tokens for s in samples),
        wall_s=wall,
        server_cpu_s=cpu1 - cpu0,
        upstream_cpu_s=up1 - up0,
        others_cpu_s=max(0.0, others),
        window_s=window,
        ttfts=[s.ttft for s in samples if s.ttft is not None],
        sends=[s.sent for s in samples if s.sent is not None],
        errors=Counter(s.error for s in samples if s.error),
    )


def receive(
    conn: Connection, proc: multiprocessing.process.BaseProcess, timeout: float, what: str
) -> Any:
    if not conn.poll(timeout):
        raise BenchError(f"the load generator did not {what} within {timeout:g} s")
    try:
        return conn.recv()
    except EOFError:
        raise BenchError(f"the load generator died (exit code {proc.exitcode})") from None


# --- the run ---------------------------------------------------------------------------------


def split_cpus(pin_cpus: bool) -> tuple[set[int] | None, set[int] | None]:
    """(server CPUs, upstream + load + this process's CPUs): on a multi-core machine the
    measured server gets a core of its own, the rest share the others."""
    cpus = sorted(os.sched_getaffinity(0))
    if not pin_cpus or len(cpus) < 2:
        return None, None
    return {cpus[-1]}, set(cpus[:-1])


@contextlib.contextmanager
def started_servers(args: Any, tmp: Path) -> Iterator[Servers]:
    server_cpus, client_cpus = args.server_cpus, args.client_cpus
    if client_cpus:
        os.sched_setaffinity(0, client_cpus)
    spawn = multiprocessing.get_context("spawn")
    up_port, relay_port = free_port(), free_port()
    upstream = spawn.Process(
        target=upstream_main, args=(up_port, args.tokens, args.interval, client_cpus)
    )
    relay_url = f"http://{HOST}:{up_port}/v1/chat/completions"
    relay = spawn.Process(target=relay_main, args=(relay_port, relay_url, server_cpus))
    with contextlib.ExitStack() as stack:
        for proc in (upstream, relay):
            proc.start()
            stack.callback(stop_process, proc)
            wait_listening(up_port if proc is upstream else relay_port, proc.is_alive)
        confide = start_confide(tmp, args.model_titles, server_cpus)
        stack.callback(stop_server, confide.proc)
        confide = provision(confide, up_port)
        print(f"confide serve: pid {confide.proc.pid}, log {confide.log}", file=sys.stderr)
        yield Servers(
            urls={
                "upstream": f"http://{HOST}:{up_port}",
                "relay": f"http://{HOST}:{relay_port}",
                "v1": confide.base_url,
                "chat": confide.base_url,
            },
            pids={
                "upstream": int(upstream.pid or 0),
                "relay": int(relay.pid or 0),
                "v1": confide.proc.pid,
                "chat": confide.proc.pid,
            },
            headers={
                "v1": {"Authorization": f"Bearer {confide.api_key}"},
                "chat": {"Cookie": confide.cookie, "X-Confide-CSRF": "1"},
            },
            upstream_pid=int(upstream.pid or 0),
            client_cpus=client_cpus,
        )


def run(args: Any) -> list[Result]:
    targets = ["upstream", *(t for t in args.targets if t != "upstream")]
    results: list[Result] = []
    with (
        tempfile.TemporaryDirectory(prefix="confide-stream-") as tmp,
        started_servers(args, Path(tmp)) as servers,
    ):
        for target in targets:  # uncounted: lazy imports, pools, the model listing cache
            run_scenario(servers, target, WARMUP_STREAMS, 1, args)
        for concurrency in args.concurrency:
            waves = max(1, math.ceil(args.min_streams / concurrency))
            runs: dict[str, list[Result]] = {target: [] for target in targets}
            for _ in range(args.repeat):  # interleaved, so a drift hits every target alike
                for target in targets:
                    time.sleep(args.pause)  # closed connections drain, the server goes idle
                    result = run_scenario(servers, target, concurrency, waves, args)
                    runs[target].append(result)
                    print(progress(result), file=sys.stderr)
            results += [pooled(runs[target]) for target in targets]
        if args.keep:
            keep = Path(tempfile.mkdtemp(prefix="confide-stream-log-"))
            (keep / "confide.log").write_bytes((Path(tmp) / "confide.log").read_bytes())
            print(f"server log kept in {keep / 'confide.log'}", file=sys.stderr)
    return results


def pooled(runs: list[Result]) -> Result:
    """Repeated runs of one scenario as one: their streams together, CPU and tokens summed."""
    return Result(
        runs[0].target,
        runs[0].concurrency,
        started=sum(r.started for r in runs),
        completed=sum(r.completed for r in runs),
        tokens=sum(r.tokens for r in runs),
        wall_s=statistics.median(r.wall_s for r in runs),
        server_cpu_s=sum(r.server_cpu_s for r in runs),
        upstream_cpu_s=sum(r.upstream_cpu_s for r in runs),
        others_cpu_s=sum(r.others_cpu_s for r in runs),
        window_s=sum(r.window_s for r in runs),
        ttfts=[t for r in runs for t in r.ttfts],
        sends=[t for r in runs for t in r.sends],
        errors=sum((r.errors for r in runs), Counter()),
    )


def progress(r: Result) -> str:
    cpu = r.cpu_ms_per_1k
    return (
        f"  {r.concurrency:>5} {LABELS[r.target]:<20} {r.completed}/{r.started} complete, "
        f"TTFT median {ms(median(r.ttfts))} ms, CPU {fmt(cpu, 1)} ms/1k tokens, "
        f"{r.wall_s:.1f} s"
    )


# --- figures and the report ------------------------------------------------------------------


def median(values: list[float]) -> float | None:
    return statistics.median(values) if values else None


def p95(values: list[float]) -> float | None:
    if len(values) < 2:
        return values[0] if values else None
    return statistics.quantiles(values, n=20, method="inclusive")[18]


def ms(seconds: float | None) -> str:
    return "-" if seconds is None else f"{seconds * 1000:.1f}"


def fmt(value: float | None, digits: int) -> str:
    return "-" if value is None else f"{value:.{digits}f}"


def minus(a: float | None, b: float | None) -> float | None:
    return None if a is None or b is None else a - b


def ratio(a: float | None, b: float | None, floor: float = 0.0) -> float | None:
    if a is None or b is None:
        return None
    return a / max(b, floor) if max(b, floor) > 0 else None


def summarize(results: list[Result], floor_ms: float) -> dict[str, Any]:
    """Per scenario figures, and per concurrency the ratios against the bare relay."""
    by = {(r.target, r.concurrency): r for r in results}
    rows, checks = [], []
    for r in results:
        base = by.get(("upstream", r.concurrency))
        added = (
            (None, None)
            if r.target == "upstream" or base is None
            else (
                minus(median(r.ttfts), median(base.ttfts)),
                minus(p95(r.ttfts), p95(base.ttfts)),
            )
        )
        rows.append(row(r, added))
    for r in results:
        relay = by.get(("relay", r.concurrency))
        if r.target in LIMITS and relay is not None:
            checks.append(check(rows, r, relay, floor_ms / 1000))
    return {"scenarios": rows, "checks": checks}


def row(r: Result, added: tuple[float | None, float | None]) -> dict[str, Any]:
    return {
        "target": r.target,
        "concurrency": r.concurrency,
        "started": r.started,
        "completed": r.completed,
        "tokens": r.tokens,
        "ttft_ms": {"median": scaled(median(r.ttfts)), "p95": scaled(p95(r.ttfts))},
        "added_ttft_ms": {"median": scaled(added[0]), "p95": scaled(added[1])},
        "post_answered_ms": {"median": scaled(median(r.sends)), "p95": scaled(p95(r.sends))},
        "cpu_ms_per_1k_tokens": r.cpu_ms_per_1k,
        "server_cpu_s": r.server_cpu_s,
        "upstream_cpu_s": r.upstream_cpu_s,
        "others_cpu_s": r.others_cpu_s,
        "others_cpu_share": r.others_cpu_s / r.window_s if r.window_s else 0.0,
        "wall_s": r.wall_s,
        "errors": dict(r.errors.most_common(5)),
    }


def scaled(seconds: float | None) -> float | None:
    return None if seconds is None else seconds * 1000


def check(rows: list[dict[str, Any]], r: Result, relay: Result, floor: float) -> dict[str, Any]:
    mine = find(rows, r.target, r.concurrency)
    base = find(rows, "relay", r.concurrency)
    ttft = ratio(mine["added_ttft_ms"]["median"], base["added_ttft_ms"]["median"], floor * 1000)
    ttft_p95 = ratio(mine["added_ttft_ms"]["p95"], base["added_ttft_ms"]["p95"], floor * 1000)
    cpu = ratio(r.cpu_ms_per_1k, relay.cpu_ms_per_1k)
    limit = LIMITS[r.target]
    complete = r.completed == r.started
    within = ttft is not None and cpu is not None and ttft <= limit and cpu <= limit
    return {
        "target": r.target,
        "concurrency": r.concurrency,
        "limit": limit,
        "added_ttft_ratio": ttft,
        "added_ttft_p95_ratio": ttft_p95,
        "cpu_ratio": cpu,
        "complete": complete,
        "ok": within and complete,
    }


def find(rows: list[dict[str, Any]], target: str, concurrency: int) -> dict[str, Any]:
    return next(x for x in rows if x["target"] == target and x["concurrency"] == concurrency)


def confide_source() -> str:
    """Where the measured `confide` comes from, with the git commit when it is a checkout."""
    spec = importlib.util.find_spec("confide")
    where = Path(spec.origin).parent.parent if spec and spec.origin else Path()
    try:
        git = ["git", "-C", str(where)]
        commit = subprocess.run(
            [*git, "rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=True
        ).stdout.strip()
        dirty = subprocess.run(
            [*git, "status", "--porcelain", "--", "."], capture_output=True, text=True, check=True
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return str(where)
    return f"{where} at {commit}{' with local changes' if dirty else ''}"


def report(results: list[Result], args: Any) -> dict[str, Any]:
    server_cpus, client_cpus = args.server_cpus, args.client_cpus
    return {
        "confide": args.source,
        "tokens": args.tokens,
        "interval_s": args.interval,
        "concurrency": args.concurrency,
        "min_streams": args.min_streams,
        "repeat": args.repeat,
        "model_titles": args.model_titles,
        "python": platform.python_version(),
        "machine": f"{platform.machine()}, {os.cpu_count()} CPUs",
        "pinning": {
            "server": sorted(server_cpus) if server_cpus else None,
            "upstream_and_load": sorted(client_cpus) if client_cpus else None,
        },
        "ttft_ratio_floor_ms": args.ttft_floor_ms,
        **summarize(results, args.ttft_floor_ms),
    }


def table(data: dict[str, Any]) -> str:
    pins = data["pinning"]
    pinning = (
        f"server on CPU {pins['server']}, upstream and load on CPU {pins['upstream_and_load']}"
        if pins["server"]
        else "no CPU pinning"
    )
    pooled_runs = f", {data['repeat']} runs pooled per row" if data["repeat"] > 1 else ""
    lines = [
        f"Streams of {data['tokens']} tokens, {data['interval_s'] * 1000:g} ms apart{pooled_runs}; "
        f"Python {data['python']}, {data['machine']}; {pinning}",
        f"confide from {data['confide']}",
        "",
        f"{'conc':>5}  {'target':<20}{'complete':>11}{'TTFT ms med/p95':>19}"
        f"{'added ms med/p95':>20}{'CPU ms/1k tok':>15}{'wall s':>8}",
    ]
    for x in data["scenarios"]:
        cpu = fmt(x["cpu_ms_per_1k_tokens"], 1) + (" *" if x["target"] == "upstream" else "  ")
        lines.append(
            f"{x['concurrency']:>5}  {LABELS[x['target']]:<20}"
            f"{str(x['completed']) + '/' + str(x['started']):>11}"
            f"{pair(x['ttft_ms']):>19}{pair(x['added_ttft_ms']):>20}{cpu:>15}"
            f"{x['wall_s']:>8.1f}"
        )
    lines += ["", "* the fake upstream's own CPU, for reference"]
    lines += [
        f"  {x['concurrency']:>5} {LABELS['chat']}: of its TTFT, the POST took "
        f"{pair(x['post_answered_ms'])} ms (med / p95)"
        for x in data["scenarios"]
        if x["target"] == "chat" and x["post_answered_ms"]["median"] is not None
    ]
    lines.append("")
    lines += check_lines(data)
    lines += error_lines(data)
    lines += busy_lines(data)
    return "\n".join(lines)


def pair(values: dict[str, float | None]) -> str:
    return f"{fmt(values['median'], 1)} / {fmt(values['p95'], 1)}"


def check_lines(data: dict[str, Any]) -> list[str]:
    lines = [
        f"Against the bare relay (added-TTFT ratio on medians, bare relay floored at "
        f"{data['ttft_ratio_floor_ms']:g} ms; p95 ratio for information):",
        f"{'conc':>5}  {'path':<20}{'added TTFT':>12}{'(p95)':>8}{'CPU':>8}{'limit':>8}"
        f"{'all done':>10}  verdict",
    ]
    for c in data["checks"]:
        lines.append(
            f"{c['concurrency']:>5}  {LABELS[c['target']]:<20}{times(c['added_ttft_ratio']):>12}"
            f"{times(c['added_ttft_p95_ratio']):>8}{times(c['cpu_ratio']):>8}"
            f"{times(c['limit']):>8}{'yes' if c['complete'] else 'NO':>10}  "
            f"{'ok' if c['ok'] else 'FAIL'}"
        )
    return lines


def times(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}x"


def error_lines(data: dict[str, Any]) -> list[str]:
    lines = []
    for x in data["scenarios"]:
        for error, count in x["errors"].items():
            lines.append(f"  {x['concurrency']} {LABELS[x['target']]}: {count} x {error}")
    return ["", "Failed streams:", *lines] if lines else []


def busy_lines(data: dict[str, Any]) -> list[str]:
    """Scenarios during which other processes took a noticeable share of the machine."""
    busy = [x for x in data["scenarios"] if x["others_cpu_share"] > BUSY_SHARE]
    lines = [
        f"  {x['concurrency']} {LABELS[x['target']]}: {x['others_cpu_s']:.1f} CPU-s "
        f"({x['others_cpu_share']:.0%} of a core)"
        for x in busy
    ]
    heading = "Busy machine: other processes ran during these scenarios; figures are suspect:"
    return ["", heading, *lines] if lines else []


# --- the command line ------------------------------------------------------------------------


def int_list(text: str) -> list[int]:
    values = [int(part) for part in text.split(",") if part.strip()]
    if not values or min(values) < 1:
        raise argparse.ArgumentTypeError("give positive integers separated by commas")
    return values


def target_list(text: str) -> list[str]:
    values = [part.strip() for part in text.split(",") if part.strip()]
    unknown = set(values) - set(TARGETS)
    if unknown:
        raise argparse.ArgumentTypeError(f"unknown targets {sorted(unknown)}; from {TARGETS}")
    return values


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    add = parser.add_argument
    add("--concurrency", type=int_list, default=[1, 200, 1000], help="default 1,200,1000")
    add("--tokens", type=int, default=200, help="tokens per stream (default 200)")
    add("--interval", type=float, default=0.01, help="seconds between tokens (default 0.01)")
    add("--targets", type=target_list, default=list(TARGETS), help="default: all four")
    add("--min-streams", type=int, default=10, help="streams per scenario at least, in waves")
    add("--repeat", type=int, default=1, help="runs per scenario, pooled (default 1)")
    add("--timeout", type=float, default=120.0, help="seconds per scenario (default 120)")
    add("--pause", type=float, default=1.0, help="idle seconds before each scenario")
    add("--ttft-floor-ms", type=float, default=1.0, help="least relay added TTFT for ratios")
    add("--model-titles", action="store_true", help="let the model title each new chat")
    add("--no-pin", dest="pin", action="store_false", help="do not pin processes to CPUs")
    add("--keep", action="store_true", help="keep a copy of the server log")
    add("--json", action="store_true", help="print JSON instead of a table")
    add("--check", action="store_true", help="exit 1 when a target is missed")
    args = parser.parse_args(argv)
    args.server_cpus, args.client_cpus = split_cpus(args.pin)
    if min(args.tokens, args.repeat, args.min_streams) < 1 or args.interval < 0:
        parser.error("--tokens, --repeat and --min-streams must be at least 1, --interval >= 0")
    if args.timeout <= 0:
        parser.error("--timeout must be positive")
    if importlib.util.find_spec("confide") is None:
        parser.error(f"{sys.executable} cannot import confide; use the project's .venv/bin/python")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    limit = raise_open_files(4 * max(args.concurrency) + 1024)
    if limit < 2 * max(args.concurrency) + 256:
        print(f"warning: only {limit} open files allowed; streams may fail", file=sys.stderr)
    args.source = confide_source()  # before the run: the tree may change while it runs
    try:
        results = run(args)
    except (BenchError, OSError) as exc:
        print(f"stream benchmark: {exc}", file=sys.stderr)
        return 2
    data = report(results, args)
    print(json.dumps(data, indent=2) if args.json else table(data))
    return 1 if args.check and not all(c["ok"] for c in data["checks"]) else 0


if __name__ == "__main__":
    sys.exit(main())
