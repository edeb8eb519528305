"""Scale-out: concurrent persisted chat streams over two replicas on PostgreSQL + Redis.

Each phase runs `--streams` (default 2,000) streams on the chat path, every reply persisted:
`POST /api/chats/{id}/messages`, then `GET …/messages/{mid}/stream` (SSE) until the `done`
event, one fresh chat per stream. They start evenly over `--ramp` 30 s and each lasts about
as long (`--tokens` 60, `--interval` 0.5 s), so all of them are in flight at the ramp's end
when the servers keep up. Fewer tokens than stream.py's 200, further apart: 2,000 x 200 tokens
at 10 ms is 40,000 tokens/s, which neither the upstream nor one replica's core can produce
here; at 0.5 s a replica relays each token as its own event instead of coalescing a backlog.
Phases, one at a time:

- plain: one `confide serve` on PostgreSQL without Redis (the reference);
- single: one replica on PostgreSQL + Redis, every stream on it (replica B not started yet);
- split: replicas A and B, each stream posted and followed on the same one, half on each;
- cross: the same two, each stream posted on one and followed through the other, so every
  token a client gets went through Redis (the replica that runs it mirrors it there, the
  other reads it back in its shared XREAD loop).

The servers are real `python -m confide serve` processes sharing a fresh PostgreSQL database
(created per run, dropped at the end) and one master key file (A starts first and creates it).
Redis is a private `redis-server` this script starts on a free port (no persistence) unless
`--redis-url` names one: Redis pub/sub channels are global to a server, so replicas on the
shared Redis would flood other test runs with their control-bus messages, and a private
server's CPU is ours alone to count. The fake OpenAI-compatible upstream, the CPU readings and
the stream reader come from stream.py; the load client is one aiohttp process.

Per replica (a stream counts for the replica it was followed through) and in total:

- CPU ms per 1,000 relayed tokens: user + system CPU of the replica's process tree from the
  go until it is idle again, over the tokens its clients received (the POST and the saves
  included); beside it our private Redis and our database's PostgreSQL backends;
- completed / started streams, added time to first token (client TTFT from the POST, minus
  the upstream's own TTFT with the same streams and ramp; median and p95), how long the POST
  took, wall time; and the replies saved in the database by status once all is idle.

Load: one sign-up and one session (sessions live in the database, so one cookie works on every
replica): the sign-up/login limits (`CONFIDE_LOGIN_RATE_PER_IP`, 20 per 5 minutes) are never
near; nothing on the chat path is rate-limited. 127.0.0.1 only; every phase is bounded by
`--timeout`; every process started is stopped and the database dropped at the end.

    .venv/bin/python benchmarks/scale.py [--streams 2000] [--phases split,cross] [--json]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import multiprocessing
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

import aiohttp
import asyncpg
from procs import stop_server
from stream import (
    CLOCK_TICKS,
    COMPLETION,
    DONE_MARKER,
    HOST,
    BenchError,
    Confide,
    Sample,
    StreamFailed,
    child_setup,
    confide_env,
    confide_source,
    cpu_when_idle,
    fmt,
    free_port,
    machine_cpu,
    median,
    ms,
    ours_cpu,
    p95,
    pin,
    provision,
    raise_open_files,
    read_stream,
    receive,
    run_async,
    send_message,
    split_cpus,
    stat_fields,
    stop_process,
    tree_cpu,
    upstream_main,
    wait_listening,
    wait_ready,
)

PHASES = ("plain", "single", "split", "cross")
LABELS = {
    "plain": "1 process, no Redis",
    "single": "1 replica + Redis",
    "split": "2 replicas, local",
    "cross": "2 replicas, cross",
}
CHAT_END = b'"status":"complete"'
PG_ADMIN = "postgresql://postgres@127.0.0.1:5432/postgres"
SETUP_CONCURRENCY = 32
WARMUP_STREAMS = 4  # per replica and route, uncounted
SATURATED = 0.9  # a process using this share of a core or more
# `confide serve` under cProfile. uvicorn re-raises SIGTERM once it has shut down; a handler of
# ours turns it into SystemExit, which cProfile catches before writing the profile.
PROFILED = (
    "import cProfile, runpy, signal, sys; sys.argv[0] = 'confide'; "
    "signal.signal(signal.SIGTERM, lambda *_: sys.exit(0)); "
    'cProfile.run(\'runpy.run_module("confide", run_name="__main__")\', {out!r})'
)


# --- the load generator (its own process) ----------------------------------------------------


@dataclass(frozen=True)
class Plan:
    urls: tuple[str, ...]  # one per replica
    routes: tuple[tuple[int, int], ...]  # per stream: (replica it is posted to, followed on)
    tokens: int
    ramp: float  # the streams start evenly over this many seconds
    timeout: float
    setup_timeout: float
    headers: dict[str, str]
    cpus: set[int] | None
    direct: bool = False  # the upstream itself (`/v1/chat/completions`), for its own TTFT


def routes(count: int, replicas: int, cross: bool) -> tuple[tuple[int, int], ...]:
    """Streams spread evenly; crossed, each is followed on the next replica."""
    return tuple((i % replicas, (i + cross) % replicas) for i in range(count))


def load_main(plan: Plan, conn: Connection) -> None:
    child_setup(plan.cpus)
    run_async(drive(plan, conn))


async def drive(plan: Plan, conn: Connection) -> None:
    """Chats to write in, ready, wait for go, all streams at once; then the outcomes and this
    process's own CPU seconds over the run."""
    connector = aiohttp.TCPConnector(limit=0)
    timeout = aiohttp.ClientTimeout(total=None, sock_connect=60, sock_read=120)
    async with contextlib.AsyncExitStack() as stack:
        sessions = [
            await stack.enter_async_context(
                aiohttp.ClientSession(
                    url,
                    connector=connector,
                    connector_owner=False,
                    timeout=timeout,
                    headers=plan.headers,
                    cookie_jar=aiohttp.DummyCookieJar(),
                )
            )
            for url in plan.urls
        ]
        stack.push_async_callback(connector.close)
        chats = [""] * len(plan.routes) if plan.direct else await new_chats(sessions, plan)
        conn.send("ready")
        await asyncio.to_thread(conn.recv)
        cpu0, began = time.process_time(), time.perf_counter()
        outcomes = await run_streams(sessions, plan, chats, began)
        cpu = time.process_time() - cpu0
    conn.send((cpu, outcomes))


async def new_chats(sessions: list[aiohttp.ClientSession], plan: Plan) -> list[str]:
    """One fresh chat per stream, made on the replica the stream is posted to."""
    gate = asyncio.Semaphore(SETUP_CONCURRENCY)

    async def one(session: aiohttp.ClientSession) -> str:
        async with gate, session.post("/api/chats", json={}) as resp:
            if resp.status != 201:
                raise StreamFailed(f"creating a chat: HTTP {resp.status} {await resp.text()}")
            chat_id: str = (await resp.json())["id"]
            return chat_id

    async with asyncio.timeout(plan.setup_timeout):
        return list(await asyncio.gather(*(one(sessions[post]) for post, _ in plan.routes)))


# (followed on, TTFT, tokens, complete, error, seconds from go to its end, POST answered in)
Outcome = tuple[int, float | None, int, bool, str | None, float | None, float | None]


async def run_streams(
    sessions: list[aiohttp.ClientSession], plan: Plan, chats: list[str], began: float
) -> list[Outcome]:
    """One outcome per stream; stream i starts i x ramp / streams seconds after the go."""
    samples = [Sample() for _ in plan.routes]
    ends: list[float | None] = [None] * len(samples)
    step = plan.ramp / len(samples)

    async def one(i: int) -> None:
        await asyncio.sleep(i * step)
        await stream_once(sessions, plan, i, chats[i], samples[i])
        ends[i] = time.perf_counter() - began

    tasks = [asyncio.ensure_future(one(i)) for i in range(len(samples))]
    _, pending = await asyncio.wait(tasks, timeout=plan.timeout)
    for task in pending:
        task.cancel()
    await asyncio.gather(*pending, return_exceptions=True)
    for sample in samples:
        if sample.error is None and not sample.ok:
            sample.error = f"not finished within the phase timeout ({plan.timeout:g} s)"
    return [
        (route[1], s.ttft, s.tokens, s.ok, s.error, end, s.sent)
        for route, s, end in zip(plan.routes, samples, ends, strict=True)
    ]


async def stream_once(
    sessions: list[aiohttp.ClientSession], plan: Plan, i: int, chat_id: str, sample: Sample
) -> None:
    post, follow = plan.routes[i]
    started = time.perf_counter()
    try:
        if plan.direct:
            headers = {"Content-Type": "application/json"}
            request = sessions[post].post("/v1/chat/completions", data=COMPLETION, headers=headers)
        else:
            path = await send_message(sessions[post], chat_id)
            sample.sent = time.perf_counter() - started
            request = sessions[follow].get(path)
        async with request as resp:
            if resp.status != 200:
                raise StreamFailed(f"HTTP {resp.status} {(await resp.text())[:200]}")
            marker = DONE_MARKER if plan.direct else CHAT_END
            await read_stream(resp, sample, started, plan.tokens, marker)
    except (aiohttp.ClientError, OSError, StreamFailed, ValueError, KeyError) as exc:
        sample.error = f"{type(exc).__name__}: {exc}"[:300]


# --- servers ---------------------------------------------------------------------------------


@dataclass
class Cluster:
    """What every phase shares: the database, Redis, the upstream, the temporary dir."""

    tmp: Path
    database: str
    redis_url: str
    redis_pid: int | None  # our private redis-server, whose CPU we count
    upstream_port: int
    upstream_pid: int
    args: Any
    cookie: str = ""
    profiles: list[Path] = field(default_factory=list)

    def env(self, redis: bool) -> dict[str, str]:
        env = {
            "CONFIDE_DATABASE_URL": f"postgresql+asyncpg://postgres@{HOST}:5432/{self.database}",
            "CONFIDE_MASTER_KEY_FILE": str(self.tmp / "master.key"),
        }
        return env | ({"CONFIDE_REDIS_URL": self.redis_url} if redis else {})


def start_server(cluster: Cluster, name: str, redis: bool) -> Confide:
    """`confide serve` with its own data dir, the shared database and master key; under
    cProfile with `--profile` (the profile is written when it stops)."""
    home = cluster.tmp / name
    home.mkdir()
    port, log = free_port(), home / "confide.log"
    command = [sys.executable, "-m", "confide", "serve"]
    if cluster.args.profile:
        out = cluster.args.profile / f"{name}.prof"
        cluster.profiles.append(out)
        command[1:3] = ["-c", PROFILED.format(out=str(out))]
    env = confide_env(home / "data", port, titles=False) | cluster.env(redis)
    with log.open("wb") as out_file:
        proc = subprocess.Popen(
            command,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=out_file,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    server = Confide(proc, f"http://{HOST}:{port}", log)
    try:
        wait_ready(proc, f"{server.base_url}/readyz", log, timeout=60)
        pin(proc.pid, cluster.args.server_cpus)
        if not cluster.cookie:  # the first server: admin, connection (shared by all)
            cluster.cookie = provision(server, cluster.upstream_port).cookie
    except BaseException:
        stop_server(proc)
        raise
    print(f"{name}: pid {proc.pid}, {server.base_url}, log {log}", file=sys.stderr)
    return server


@contextlib.contextmanager
def running(cluster: Cluster, names: list[str], redis: bool) -> Iterator[list[Confide]]:
    """Servers started one after the other (each ready before the next), stopped at the end."""
    with contextlib.ExitStack() as stack:
        servers = []
        for name in names:
            servers.append(start_server(cluster, name, redis))
            stack.callback(stop_server, servers[-1].proc, 30 if cluster.args.profile else 10)
        yield servers


async def pg_execute(sql: str) -> None:
    conn = await asyncpg.connect(PG_ADMIN, timeout=10)
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


@contextlib.contextmanager
def fresh_database() -> Iterator[str]:
    name = f"confide_bench_scale_{os.getpid()}_{int(time.time())}"
    asyncio.run(pg_execute(f'CREATE DATABASE "{name}"'))
    try:
        yield name
    finally:
        asyncio.run(pg_execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@contextlib.contextmanager
def private_redis(tmp: Path, given: str) -> Iterator[tuple[str, int | None]]:
    """(URL, pid): a redis-server of our own on a free port, or the one `--redis-url` gives."""
    if given:
        yield given, None
        return
    binary = shutil.which("redis-server")
    if binary is None:
        raise BenchError("no redis-server on PATH; give --redis-url redis://127.0.0.1:6379/9")
    port = free_port()
    args = ["--bind", HOST, "--port", str(port), "--save", "", "--appendonly", "no"]
    log = (tmp / "redis.log").open("wb")
    proc = subprocess.Popen(
        [binary, *args, "--dir", str(tmp)],
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        wait_listening(port, lambda: proc.poll() is None)
        yield f"redis://{HOST}:{port}/0", proc.pid
    finally:
        stop_server(proc)
        log.close()


@contextlib.contextmanager
def cluster_for(args: Any) -> Iterator[Cluster]:
    with (
        tempfile.TemporaryDirectory(prefix="confide-scale-") as tmp_dir,
        fresh_database() as database,
        private_redis(Path(tmp_dir), args.redis_url) as (redis_url, redis_pid),
        contextlib.ExitStack() as stack,
    ):
        if args.client_cpus:
            os.sched_setaffinity(0, args.client_cpus)
        port = free_port()
        spawn = multiprocessing.get_context("spawn")
        upstream = spawn.Process(
            target=upstream_main, args=(port, args.tokens, args.interval, args.client_cpus)
        )
        upstream.start()
        stack.callback(stop_process, upstream)
        wait_listening(port, upstream.is_alive)
        tmp = Path(tmp_dir)
        yield Cluster(tmp, database, redis_url, redis_pid, port, int(upstream.pid or 0), args)


# --- CPU meters ------------------------------------------------------------------------------


def pg_backends(database: str) -> dict[int, float]:
    """CPU seconds of each PostgreSQL backend connected to `database` (from its title)."""
    found: dict[int, float] = {}
    marker = f" {database} ".encode()
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        with contextlib.suppress(OSError):
            title = Path(f"/proc/{entry.name}/cmdline").read_bytes()
            fields = stat_fields(int(entry.name)) if marker in title else None
            if fields is not None and title.startswith(b"postgres:"):
                found[int(entry.name)] = (int(fields[11]) + int(fields[12])) / CLOCK_TICKS
    return found


@dataclass
class Meters:
    """CPU counters at the go: each replica, the upstream, Redis, PostgreSQL, the machine."""

    replicas: list[float]
    upstream: float
    redis: float
    pg: dict[int, float]
    machine: float
    ours: float
    began: float

    @classmethod
    def read(cls, cluster: Cluster, servers: list[Confide]) -> Meters:
        return cls(
            [tree_cpu(s.proc.pid) for s in servers],
            tree_cpu(cluster.upstream_pid),
            tree_cpu(cluster.redis_pid) if cluster.redis_pid else 0.0,
            pg_backends(cluster.database),
            machine_cpu(),
            ours_cpu(),
            time.perf_counter(),
        )


# --- one phase -------------------------------------------------------------------------------


@dataclass
class Share:
    """The streams followed through one replica."""

    name: str
    started: int
    completed: int
    tokens: int
    cpu_s: float
    ttfts: list[float]
    sends: list[float]
    wall_s: float
    errors: Counter[str]

    @property
    def cpu_ms_per_1k(self) -> float | None:
        return self.cpu_s * 1e6 / self.tokens if self.tokens else None


@dataclass
class PhaseResult:
    phase: str
    shares: list[Share]
    redis_cpu_s: float
    pg_cpu_s: float
    upstream_cpu_s: float
    load_cpu_s: float
    others_cpu_s: float
    window_s: float
    saved: dict[str, int] = field(default_factory=dict)  # replies this phase, by saved status


def run_phase(cluster: Cluster, phase: str, servers: list[Confide], streams: int) -> PhaseResult:
    args = cluster.args
    plan = Plan(
        tuple(s.base_url for s in servers),
        routes(streams, len(servers), phase == "cross"),
        args.tokens,
        args.ramp if streams == args.streams else 0.0,
        args.timeout,
        args.setup_timeout,
        {"Cookie": cluster.cookie, "X-Confide-CSRF": "1"},
        args.client_cpus,
    )
    saved0 = asyncio.run(saved_replies(cluster.database))
    meters: list[Meters] = []

    def at_go() -> None:
        meters.append(Meters.read(cluster, servers))

    load_cpu, outcomes = load(plan, args, at_go)
    idle = [cpu_when_idle(s.proc.pid) for s in servers]
    after = Meters.read(cluster, servers)
    saved = asyncio.run(saved_replies(cluster.database)) - saved0
    result = phase_result(phase, servers, outcomes, meters[0], after, idle, load_cpu)
    result.saved = dict(saved)
    return result


def load(plan: Plan, args: Any, at_go: Any = None) -> tuple[float, list[Outcome]]:
    """Run the load process: set up, `at_go()`, go, and its (CPU seconds, outcomes)."""
    parent, child = multiprocessing.Pipe()
    proc = multiprocessing.get_context("spawn").Process(target=load_main, args=(plan, child))
    proc.start()
    try:
        receive(parent, proc, args.setup_timeout + 30, "set up")
        if at_go is not None:
            at_go()
        parent.send("go")
        result: tuple[float, list[Outcome]] = receive(parent, proc, args.timeout + 30, "finish")
    finally:
        stop_process(proc)
    return result


async def saved_replies(database: str) -> Counter[str]:
    """Assistant replies in the database by status: what was persisted, not what was shown."""
    dsn = PG_ADMIN.rsplit("/", 1)[0] + f"/{database}"
    conn = await asyncpg.connect(dsn, timeout=10)
    try:
        rows = await conn.fetch(
            "SELECT status, count(*) FROM messages WHERE role = 'assistant' GROUP BY status"
        )
    finally:
        await conn.close()
    return Counter({row[0]: row[1] for row in rows})


def phase_result(
    phase: str,
    servers: list[Confide],
    outcomes: list[Outcome],
    before: Meters,
    after: Meters,
    idle: list[float],
    load_cpu: float,
) -> PhaseResult:
    names = [f"{Path(s.log).parent.name}" for s in servers]
    shares = [
        share(names[i], [o for o in outcomes if o[0] == i], idle[i] - before.replicas[i])
        for i in range(len(servers))
    ]
    pg = sum(cpu - before.pg.get(pid, 0.0) for pid, cpu in after.pg.items())
    ours = after.ours - before.ours
    return PhaseResult(
        phase,
        shares,
        redis_cpu_s=after.redis - before.redis,
        pg_cpu_s=pg,
        upstream_cpu_s=after.upstream - before.upstream,
        load_cpu_s=load_cpu,
        others_cpu_s=max(0.0, after.machine - before.machine - ours - pg),
        window_s=after.began - before.began,
    )


def share(name: str, outcomes: list[Outcome], cpu_s: float) -> Share:
    return Share(
        name,
        started=len(outcomes),
        completed=sum(o[3] for o in outcomes),
        tokens=sum(o[2] for o in outcomes),
        cpu_s=cpu_s,
        ttfts=[o[1] for o in outcomes if o[1] is not None],
        sends=[o[6] for o in outcomes if o[6] is not None],
        wall_s=max((o[5] for o in outcomes if o[5] is not None), default=0.0),
        errors=Counter(o[4] for o in outcomes if o[4]),
    )


def warm_up(cluster: Cluster, phase: str, servers: list[Confide]) -> None:
    """Uncounted: lazy imports, pools, the model listing cache, the XREAD loop."""
    run_phase(cluster, phase, servers, WARMUP_STREAMS * len(servers))
    time.sleep(cluster.args.pause)


def measure(cluster: Cluster, phase: str, servers: list[Confide]) -> PhaseResult:
    warm_up(cluster, phase, servers)
    result = run_phase(cluster, phase, servers, cluster.args.streams)
    for s in result.shares:
        print(
            f"  {LABELS[phase]:<20} {s.name}: {s.completed}/{s.started} complete, "
            f"TTFT median {ms(median(s.ttfts))} ms, CPU {fmt(s.cpu_ms_per_1k, 1)} ms/1k tokens, "
            f"{s.wall_s:.1f} s",
            file=sys.stderr,
        )
    time.sleep(cluster.args.pause)
    return result


def upstream_alone(cluster: Cluster) -> list[float]:
    """The upstream's own TTFTs with the same streams and ramp, straight from the client."""
    args = cluster.args
    plan = Plan(
        (f"http://{HOST}:{cluster.upstream_port}",),
        routes(args.streams, 1, cross=False),
        args.tokens,
        args.ramp,
        args.timeout,
        args.setup_timeout,
        {},
        args.client_cpus,
        direct=True,
    )
    _, outcomes = load(plan, args)
    return [o[1] for o in outcomes if o[1] is not None]


def run(args: Any) -> tuple[list[float], list[PhaseResult]]:
    results: list[PhaseResult] = []
    with cluster_for(args) as cluster:
        baseline = upstream_alone(cluster)
        if "plain" in args.phases:
            with running(cluster, ["P"], redis=False) as (plain,):
                results.append(measure(cluster, "plain", [plain]))
        replicated = [p for p in ("single", "split", "cross") if p in args.phases]
        if replicated:
            with running(cluster, ["A"], redis=True) as (a,):
                if "single" in replicated:
                    results.append(measure(cluster, "single", [a]))
                if {"split", "cross"} & set(replicated):
                    with running(cluster, ["B"], redis=True) as (b,):
                        for phase in ("split", "cross"):
                            if phase in replicated:
                                results.append(measure(cluster, phase, [a, b]))
        if args.keep:
            keep = Path(tempfile.mkdtemp(prefix="confide-scale-logs-"))
            for log in cluster.tmp.glob("*/confide.log"):
                shutil.copy(log, keep / f"{log.parent.name}.log")
            print(f"server logs kept in {keep}", file=sys.stderr)
    return baseline, results


# --- the report ------------------------------------------------------------------------------


def summarize(baseline: list[float], results: list[PhaseResult], args: Any) -> dict[str, Any]:
    base = (median(baseline), p95(baseline))
    return {
        "confide": args.source,
        "streams": args.streams,
        "tokens": args.tokens,
        "interval_s": args.interval,
        "ramp_s": args.ramp,
        "python": platform.python_version(),
        "machine": f"{platform.machine()}, {os.cpu_count()} CPUs",
        "pinning": {
            "servers": sorted(args.server_cpus) if args.server_cpus else None,
            "upstream_and_load": sorted(args.client_cpus) if args.client_cpus else None,
        },
        "redis": "private redis-server" if not args.redis_url else args.redis_url,
        "upstream_ttft_ms": {"median": scaled(base[0]), "p95": scaled(base[1])},
        "phases": [phase_row(r, base) for r in results],
    }


def phase_row(r: PhaseResult, base: tuple[float | None, float | None]) -> dict[str, Any]:
    whole = Share(
        "total",
        sum(s.started for s in r.shares),
        sum(s.completed for s in r.shares),
        sum(s.tokens for s in r.shares),
        sum(s.cpu_s for s in r.shares),
        [t for s in r.shares for t in s.ttfts],
        [t for s in r.shares for t in s.sends],
        max(s.wall_s for s in r.shares),
        sum((s.errors for s in r.shares), Counter()),
    )
    per_1k = 1e6 / whole.tokens if whole.tokens else 0.0
    window = r.window_s or 1.0
    return {
        "phase": r.phase,
        "label": LABELS[r.phase],
        "replicas": [share_row(s, base) for s in r.shares],
        "total": share_row(whole, base),
        "redis_cpu_ms_per_1k_tokens": r.redis_cpu_s * per_1k if r.redis_cpu_s else None,
        "postgres_cpu_ms_per_1k_tokens": r.pg_cpu_s * per_1k,
        "upstream_cpu_s": r.upstream_cpu_s,
        "load_cpu_share": r.load_cpu_s / window,
        "upstream_cpu_share": r.upstream_cpu_s / window,
        "others_cpu_share": r.others_cpu_s / window,
        "window_s": r.window_s,
        "saved_replies": r.saved,
    }


def share_row(s: Share, base: tuple[float | None, float | None]) -> dict[str, Any]:
    med, high = median(s.ttfts), p95(s.ttfts)
    return {
        "replica": s.name,
        "started": s.started,
        "completed": s.completed,
        "tokens": s.tokens,
        "cpu_s": s.cpu_s,
        "cpu_ms_per_1k_tokens": s.cpu_ms_per_1k,
        "added_ttft_ms": {
            "median": scaled(None if med is None or base[0] is None else med - base[0]),
            "p95": scaled(None if high is None or base[1] is None else high - base[1]),
        },
        "post_answered_ms": {"median": scaled(median(s.sends)), "p95": scaled(p95(s.sends))},
        "wall_s": s.wall_s,
        "errors": dict(s.errors.most_common(5)),
    }


def scaled(seconds: float | None) -> float | None:
    return None if seconds is None else seconds * 1000


def table(data: dict[str, Any]) -> str:
    pins = data["pinning"]
    pinning = (
        f"servers on CPU {pins['servers']}, upstream and load on CPU {pins['upstream_and_load']}, "
        "PostgreSQL and Redis unpinned"
        if pins["servers"]
        else "no CPU pinning"
    )
    up = data["upstream_ttft_ms"]
    lines = [
        f"{data['streams']} streams started over {data['ramp_s']:g} s, each {data['tokens']} "
        f"tokens {data['interval_s'] * 1000:g} ms apart, chat path (persisted); "
        f"Python {data['python']}, {data['machine']}; {pinning}",
        f"confide from {data['confide']}; Redis: {data['redis']}",
        f"upstream alone at {data['streams']} streams: TTFT {fmt(up['median'], 1)} / "
        f"{fmt(up['p95'], 1)} ms (med / p95)",
        "",
        f"{'phase':<20}{'replica':>8}{'complete':>11}{'added TTFT ms med/p95':>24}"
        f"{'POST ms med/p95':>18}{'CPU ms/1k tok':>15}{'wall s':>8}",
    ]
    for p in data["phases"]:
        rows = p["replicas"] + ([p["total"]] if len(p["replicas"]) > 1 else [])
        for x in rows:
            lines.append(
                f"{p['label']:<20}{x['replica']:>8}"
                f"{str(x['completed']) + '/' + str(x['started']):>11}"
                f"{pair(x['added_ttft_ms']):>24}{pair(x['post_answered_ms']):>18}"
                f"{fmt(x['cpu_ms_per_1k_tokens'], 1):>15}{x['wall_s']:>8.1f}"
            )
    lines += ["", *side_lines(data), *error_lines(data)]
    return "\n".join(lines)


def pair(values: dict[str, float | None]) -> str:
    return f"{fmt(values['median'], 0)} / {fmt(values['p95'], 0)}"


def side_lines(data: dict[str, Any]) -> list[str]:
    """Beside the replicas: Redis, PostgreSQL, the load client and the rest of the machine."""
    lines = ["Per phase, beside the replicas (CPU ms per 1k tokens; shares of one core):"]
    for p in data["phases"]:
        saturated = p["load_cpu_share"] + p["upstream_cpu_share"] >= SATURATED
        lines.append(
            f"  {p['label']:<20} Redis {fmt(p['redis_cpu_ms_per_1k_tokens'], 1)}, "
            f"PostgreSQL {fmt(p['postgres_cpu_ms_per_1k_tokens'], 1)}; load client "
            f"{p['load_cpu_share']:.0%}, upstream {p['upstream_cpu_share']:.0%}"
            f"{' (their core saturated)' if saturated else ''}; "
            f"other processes {p['others_cpu_share']:.0%}"
        )
    lines.append("Replies saved in the database, by status, once idle:")
    lines += [
        f"  {p['label']:<20} "
        + ", ".join(f"{n} {status}" for status, n in sorted(p["saved_replies"].items()))
        for p in data["phases"]
    ]
    return lines


def error_lines(data: dict[str, Any]) -> list[str]:
    lines = [
        f"  {p['label']} {x['replica']}: {count} x {error}"
        for p in data["phases"]
        for x in p["replicas"]
        for error, count in x["errors"].items()
    ]
    return ["", "Failed streams:", *lines] if lines else []


# --- the command line ------------------------------------------------------------------------


def phase_list(text: str) -> list[str]:
    values = [part.strip() for part in text.split(",") if part.strip()]
    unknown = set(values) - set(PHASES)
    if not values or unknown:
        raise argparse.ArgumentTypeError(f"give phases from {PHASES}")
    return values


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    add = parser.add_argument
    add("--streams", type=int, default=2000, help="concurrent streams per phase (default 2000)")
    add("--tokens", type=int, default=60, help="tokens per stream (default 60)")
    add("--interval", type=float, default=0.5, help="seconds between tokens (default 0.5)")
    add("--ramp", type=float, default=30.0, help="seconds over which streams start (30)")
    add("--phases", type=phase_list, default=list(PHASES), help="default: all four")
    add("--timeout", type=float, default=180.0, help="seconds per phase (default 180)")
    add("--setup-timeout", type=float, default=180.0, help="seconds to create the chats")
    add("--pause", type=float, default=2.0, help="idle seconds around each phase")
    add("--redis-url", default="", help="use this Redis instead of a private redis-server")
    add("--profile", type=Path, help="run the servers under cProfile, profiles to this dir")
    add("--no-pin", dest="pin", action="store_false", help="do not pin processes to CPUs")
    add("--keep", action="store_true", help="keep copies of the server logs")
    add("--json", action="store_true", help="print JSON instead of a table")
    args = parser.parse_args(argv)
    if min(args.streams, args.tokens) < 1 or min(args.interval, args.ramp) < 0:
        parser.error("--streams and --tokens at least 1, --interval and --ramp >= 0")
    if args.timeout <= args.ramp:
        parser.error("--timeout must be longer than --ramp")
    args.server_cpus, args.client_cpus = split_cpus(args.pin)
    if args.profile:
        args.profile.mkdir(parents=True, exist_ok=True)
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    limit = raise_open_files(4 * args.streams + 1024)
    if limit < 2 * args.streams + 256:
        print(f"warning: only {limit} open files allowed; streams may fail", file=sys.stderr)
    args.source = confide_source()
    try:
        baseline, results = run(args)
    except (BenchError, OSError, asyncpg.PostgresError) as exc:
        print(f"scale benchmark: {exc}", file=sys.stderr)
        return 2
    data = summarize(baseline, results, args)
    print(json.dumps(data, indent=2) if args.json else table(data))
    return 0


if __name__ == "__main__":
    sys.exit(main())
