"""Cold start and idle memory of `confide serve`.

Launches the server N times, each for a fresh data dir (first start: creates the master key
and runs the migrations) and for an existing one (a restart), and measures:

- start: wall clock from spawning the process to the first 200 from `/readyz`;
- CPU: user + system CPU time the server used up to that point (steadier than the wall clock
  on a busy machine);
- idle RSS: the sum of VmRSS over the process and all its descendants (from /proc), read a
  few seconds after it became ready, with no request in flight.

Python's bytecode cache matters here: without .pyc files every start compiles ~900 modules.
`--bytecode cached` (default, what an installed server sees from its second start on) lets the
servers write and read .pyc files in a private cache filled by the uncounted warm-up launch;
`--bytecode none` compiles everything at every start (as under PYTHONDONTWRITEBYTECODE=1).

Standard library only; talks to 127.0.0.1 only; every launch is bounded by a timeout and the
server is always stopped. Run it with the project's interpreter:

    .venv/bin/python benchmarks/startup.py [--runs 5] [--bytecode cached|none] [--json]
"""

from __future__ import annotations

import argparse
import contextlib
import importlib.util
import json
import os
import platform
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from procs import stop_server

TARGET_START_S = 1.0
TARGET_RSS_MIB = 100.0
POLL_INTERVAL_S = 0.005
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
KINDS = ("fresh", "restart")
LABELS = {"fresh": "fresh data dir", "restart": "existing data dir"}


class LaunchError(Exception):
    """A launch failed; the message says why and ends with the server's output."""

    def __init__(self, reason: str, log_path: Path) -> None:
        super().__init__(f"{reason}; server output:\n{log_path.read_text(errors='replace')}")


@dataclass
class Samples:
    start_s: list[float] = field(default_factory=list)
    cpu_s: list[float] = field(default_factory=list)
    rss_mib: list[float] = field(default_factory=list)


@dataclass(frozen=True)
class Bench:
    """How to launch: the timeout, the idle wait, and the environment shared by launches."""

    timeout: float
    settle: float
    env: dict[str, str]


def base_env(bytecode: str, scratch: Path) -> dict[str, str]:
    """The caller's environment without its CONFIDE_* settings, with the bytecode policy."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("CONFIDE_")}
    env["PYTHONUNBUFFERED"] = "1"
    # A private prefix: .pyc files already beside the sources are ignored, none are left there.
    env["PYTHONPYCACHEPREFIX"] = str(scratch / "pycache")
    if bytecode == "cached":
        env.pop("PYTHONDONTWRITEBYTECODE", None)
    else:
        env["PYTHONDONTWRITEBYTECODE"] = "1"
    return env


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def ready(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=1) as response:  # noqa: S310 (our own URL)
            response.read()
            return bool(response.status == 200)
    except (urllib.error.URLError, OSError):
        return False


def process_tree(root: int) -> list[int]:
    """`root` and all its descendants, from the parent ids in /proc/*/stat."""
    children: dict[int, list[int]] = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            stat = Path(entry.path, "stat").read_text()
        except OSError:
            continue
        ppid = int(stat_fields(stat)[1])
        children.setdefault(ppid, []).append(int(entry.name))
    tree, todo = [], [root]
    while todo:
        pid = todo.pop()
        tree.append(pid)
        todo.extend(children.get(pid, []))
    return tree


def stat_fields(stat: str) -> list[str]:
    """The fields after the command name (which may hold spaces and parentheses)."""
    return stat.rsplit(")", 1)[1].split()


def vm_rss_kib(pid: int) -> int:
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return 0
    for line in status.splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0  # a zombie has no VmRSS line


def cpu_seconds(pid: int) -> float:
    try:
        fields = stat_fields(Path(f"/proc/{pid}/stat").read_text())
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS  # utime + stime


@contextlib.contextmanager
def launched(
    bench: Bench, data_dir: Path, log_path: Path
) -> Iterator[tuple[subprocess.Popen[bytes], int]]:
    port = free_port()
    env = {
        **bench.env,
        "CONFIDE_DATA_DIR": str(data_dir),
        "CONFIDE_HOST": "127.0.0.1",
        "CONFIDE_PORT": str(port),
        "CONFIDE_PUBLIC_URL": f"http://127.0.0.1:{port}",
    }
    with log_path.open("wb") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "confide", "serve"],
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            yield proc, port
        finally:
            stop_server(proc)


def measure(bench: Bench, data_dir: Path, log_path: Path) -> tuple[float, float, float]:
    """One launch: (seconds to ready, CPU seconds to ready, idle RSS of the tree in MiB)."""
    began = time.perf_counter()
    with launched(bench, data_dir, log_path) as (proc, port):
        url = f"http://127.0.0.1:{port}/readyz"
        while not ready(url):
            if proc.poll() is not None:
                raise LaunchError(f"the server exited with {proc.returncode}", log_path)
            if time.perf_counter() - began > bench.timeout:
                raise LaunchError(f"not ready after {bench.timeout:g} s", log_path)
            time.sleep(POLL_INTERVAL_S)
        start_s = time.perf_counter() - began
        cpu_s = sum(cpu_seconds(pid) for pid in process_tree(proc.pid))
        time.sleep(bench.settle)
        if proc.poll() is not None:
            raise LaunchError(f"the server exited with {proc.returncode} while idle", log_path)
        rss_mib = sum(vm_rss_kib(pid) for pid in process_tree(proc.pid)) / 1024
    return start_s, cpu_s, rss_mib


def run(runs: int, warmup: int, bytecode: str, timeout: float, settle: float) -> dict[str, Samples]:
    results = {kind: Samples() for kind in KINDS}
    with tempfile.TemporaryDirectory(prefix="confide-bench-") as tmp:
        root = Path(tmp)
        bench = Bench(timeout=timeout, settle=settle, env=base_env(bytecode, root))
        warm = Bench(timeout=timeout, settle=0, env=bench.env)
        for i in range(warmup):  # fills the bytecode and page caches; not counted
            measure(warm, root / f"warmup{i}" / "data", root / "warmup.log")
        for i in range(runs):
            data_dir = root / f"run{i}" / "data"
            for kind in KINDS:  # fresh first: it creates the data dir the restart reuses
                start_s, cpu_s, rss_mib = measure(bench, data_dir, root / f"{kind}{i}.log")
                results[kind].start_s.append(start_s)
                results[kind].cpu_s.append(cpu_s)
                results[kind].rss_mib.append(rss_mib)
                print(
                    f"  run {i + 1}/{runs} {kind:<7} start {start_s:6.3f} s   "
                    f"CPU {cpu_s:6.3f} s   RSS {rss_mib:6.1f} MiB",
                    file=sys.stderr,
                )
    return results


def summary(values: list[float]) -> dict[str, Any]:
    return {
        "median": statistics.median(values),
        "min": min(values),
        "max": max(values),
        "samples": [round(v, 4) for v in values],
    }


def start_ok(samples: Samples) -> bool:
    return statistics.median(samples.start_s) < TARGET_START_S


def rss_ok(samples: Samples) -> bool:
    return statistics.median(samples.rss_mib) < TARGET_RSS_MIB


def report(results: dict[str, Samples], runs: int, bytecode: str) -> dict[str, Any]:
    return {
        "runs": runs,
        "bytecode": bytecode,
        "python": platform.python_version(),
        "machine": f"{platform.machine()}, {os.cpu_count()} CPUs",
        "load_average": os.getloadavg()[0],
        "targets": {"start_s": TARGET_START_S, "idle_rss_mib": TARGET_RSS_MIB},
        "results": {
            kind: {
                "start_s": summary(samples.start_s),
                "cpu_s": summary(samples.cpu_s),
                "idle_rss_mib": summary(samples.rss_mib),
                "start_ok": start_ok(samples),
                "rss_ok": rss_ok(samples),
            }
            for kind, samples in results.items()
        },
    }


def table(data: dict[str, Any]) -> str:
    lines = [
        f"confide serve: {data['runs']} launches per case, bytecode {data['bytecode']}, "
        f"Python {data['python']}, {data['machine']}, load {data['load_average']:.2f}",
        "",
        f"{'':<37}{'median':>9}{'min':>9}{'max':>9}   target",
    ]
    rows = (
        ("start_s", "start_ok", "start to /readyz", "s", 3, TARGET_START_S),
        ("cpu_s", None, "CPU to /readyz", "s", 3, None),
        ("idle_rss_mib", "rss_ok", "idle RSS", "MiB", 1, TARGET_RSS_MIB),
    )
    for key, ok_key, what, unit, digits, target in rows:
        for kind in KINDS:
            result = data["results"][kind]
            cells = "".join(f"{result[key][s]:>9.{digits}f}" for s in ("median", "min", "max"))
            goal = f"< {target:g} {unit}" if target is not None else ""
            verdict = ("ok" if result[ok_key] else "OVER") if ok_key else ""
            row = f"{what + ', ' + LABELS[kind]:<37}{cells}   {goal:<11}{verdict}"
            lines.append(row.rstrip())
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=5, help="launches per case (default 5)")
    parser.add_argument("--bytecode", choices=["cached", "none"], default="cached")
    parser.add_argument("--warmup", type=int, default=1, help="uncounted launches first")
    parser.add_argument("--timeout", type=float, default=20.0, help="seconds per launch")
    parser.add_argument("--settle", type=float, default=3.0, help="idle seconds before RSS")
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    parser.add_argument("--check", action="store_true", help="exit 1 when over a target")
    args = parser.parse_args(argv)
    if args.runs < 1:
        parser.error("--runs must be at least 1")
    if args.bytecode == "cached" and args.warmup < 1:
        parser.error("--bytecode cached needs a warm-up launch to fill the cache")
    if importlib.util.find_spec("confide") is None:
        parser.error(f"{sys.executable} cannot import confide; use the project's .venv/bin/python")
    try:
        results = run(args.runs, args.warmup, args.bytecode, args.timeout, args.settle)
    except LaunchError as exc:
        print(f"startup benchmark: {exc}", file=sys.stderr)
        return 2
    data = report(results, args.runs, args.bytecode)
    print(json.dumps(data, indent=2) if args.json else table(data))
    within = all(start_ok(s) and rss_ok(s) for s in results.values())
    return 1 if args.check and not within else 0


if __name__ == "__main__":
    sys.exit(main())
