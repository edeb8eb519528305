"""The parse worker: a child process that reads one file from stdin and answers in JSON.

Started by `confide.rag.loaders.parse_isolated` as
`python -I -m confide.rag.parse_worker KIND MEMORY_BYTES CPU_SECONDS`. It limits itself before
it reads a byte of the file, so everything the parser does is bounded:
- RLIMIT_AS: address space, so a decompression or allocation bomb ends in MemoryError;
- RLIMIT_CPU: a backstop to the parent's wall-clock kill, should the parent disappear;
- RLIMIT_CORE = 0: a crash must not dump the user's plaintext to disk;
- RLIMIT_FSIZE = 0: parsers have no reason to write files.
The reply is one JSON object: {"ok": true, "blocks": …, "notes": …}, {"ok": false, "reason":
"…"} or {"ok": false, "error": "memory"}.
"""

from __future__ import annotations

import json
import os
import resource
import sys

from confide.rag.loaders import ParseError, parse

MEMORY_REPLY = json.dumps({"ok": False, "error": "memory"}).encode()


def main(argv: list[str]) -> int:
    kind, memory, cpu_seconds = argv[0], int(argv[1]), int(argv[2])
    _limit(resource.RLIMIT_AS, memory)
    _limit(resource.RLIMIT_CPU, cpu_seconds, cpu_seconds + 1)  # SIGXCPU first, then SIGKILL
    _limit(resource.RLIMIT_CORE, 0)
    _limit(resource.RLIMIT_FSIZE, 0)
    try:
        reply = _run(kind)
    except MemoryError:
        reply = MEMORY_REPLY  # built before the limit, so answering needs no new memory
    _write_all(reply)
    return 0


def _run(kind: str) -> bytes:
    data = sys.stdin.buffer.read()
    try:
        document = parse(data, kind)
    except ParseError as exc:
        return json.dumps({"ok": False, "reason": exc.reason}).encode()
    del data
    return json.dumps({"ok": True, **document.to_json()}, ensure_ascii=False).encode()


def _limit(limit: int, soft: int, hard: int | None = None) -> None:
    """Lower a limit to `soft` (and `hard`, default the same), never above one in force."""
    hard = soft if hard is None else hard
    _, current = resource.getrlimit(limit)
    if current != resource.RLIM_INFINITY:
        soft, hard = min(soft, current), min(hard, current)
    resource.setrlimit(limit, (soft, hard))


def _write_all(reply: bytes) -> None:
    view = memoryview(reply)
    while view:
        written = os.write(sys.stdout.fileno(), view)
        view = view[written:]


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
