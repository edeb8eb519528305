"""Process helpers the benchmarks share."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess


def stop_server(proc: subprocess.Popen[bytes], grace: float = 10.0) -> None:
    """SIGTERM to the server's own process group, then SIGKILL if it lingers."""
    if proc.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout=grace)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=5)
