"""Parsing in a child process bounded in wall-clock time and address space (server side).

Why `asyncio.create_subprocess_exec` with bytes on stdin and JSON on stdout, rather than
multiprocessing:
- The reply is JSON. multiprocessing sends results back pickled, and the parent would be
  unpickling bytes produced by a process that has just run a third-party parser on hostile
  input: a compromised child could then run code in the server.
- The child starts from a fresh interpreter (`-I`: no user site, no PYTHON* variables, no
  current directory on sys.path) with an empty environment, so it holds none of the server's
  secrets; it gets no open descriptors but its three pipes, and needs no network.
- It never forks the multi-threaded server, and waiting for it is a plain await on the event
  loop: no thread pool, and a timeout is one SIGKILL.
The child (confide.rag.parse_worker) applies the limits to itself before reading the file.

The cost is a fresh interpreter per file (imports of pypdf, python-docx, python-pptx and
openpyxl included): about half a second, acceptable for a background ingestion job.
"""

from __future__ import annotations

import asyncio
import json
import math
import signal
import sys

from confide.rag.loaders.model import Document, ParseError
from confide.rag.sniff import Kind

DEFAULT_TIMEOUT = 60.0  # seconds of wall-clock time for one file
DEFAULT_MEMORY = 1024**3  # bytes of address space for the child (RLIMIT_AS)
WORKER_MODULE = "confide.rag.parse_worker"
CRASHED = "The file reader stopped unexpectedly on this file; it may be damaged."


async def parse_isolated(
    data: bytes,
    kind: Kind | str,
    *,
    timeout: float = DEFAULT_TIMEOUT,  # noqa: ASYNC109 - it ends in a kill and a ParseError
    memory: int = DEFAULT_MEMORY,
) -> Document:
    """`parse(data, kind)` in a child process killed after `timeout` s, limited to `memory` B.

    Raises ParseError for everything that can go wrong with the file, including the limits.
    """
    cpu_seconds = math.ceil(timeout) + 1  # the child's own backstop should the parent vanish
    command = [sys.executable, "-I", "-m", WORKER_MODULE, str(Kind(kind)), str(memory)]
    command.append(str(cpu_seconds))
    # Fixed argv of our own interpreter and module, no shell: nothing from the user is a command.
    process = await asyncio.create_subprocess_exec(
        *command,
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.DEVNULL,  # a traceback could quote the user's content
        env={},
        cwd="/",
        start_new_session=True,
    )
    try:
        stdout, _ = await asyncio.wait_for(process.communicate(data), timeout)
    except TimeoutError:
        raise ParseError(too_slow(timeout)) from None
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
    return _reply(stdout, process.returncode, timeout, memory)


def too_slow(timeout: float) -> str:
    return f"Reading this file took longer than {timeout:g} s; it was stopped."


def too_big(memory: int) -> str:
    return (
        f"Reading this file needed more memory than the {memory / 2**20:,.0f} MB allowed; "
        "it was stopped."
    )


def _reply(stdout: bytes, returncode: int | None, timeout: float, memory: int) -> Document:
    """Turn the worker's JSON reply (or its absence) into a Document or a ParseError."""
    try:
        reply = json.loads(stdout) if stdout else None
    except ValueError:
        reply = None
    if isinstance(reply, dict):
        if reply.get("ok") is True:
            return Document.from_json(reply)
        if reply.get("error") == "memory":
            raise ParseError(too_big(memory))
        if isinstance(reply.get("reason"), str):
            raise ParseError(reply["reason"])
    if returncode == -signal.SIGXCPU:
        raise ParseError(too_slow(timeout))
    raise ParseError(CRASHED)
