"""`confide serve` as a subprocess on a free port of 127.0.0.1, for the tests that need a real
server: the browser tests, and the replica tests (two of them sharing PostgreSQL and Redis)."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

import httpx


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass
class Server:
    """A `confide serve` subprocess."""

    data_dir: Path
    port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None
    log: BinaryIO | None = None
    settings: dict[str, str] = field(default_factory=dict)  # more CONFIDE_* for this server

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        env = {
            **{k: v for k, v in os.environ.items() if not k.startswith("CONFIDE_")},
            "CONFIDE_DATA_DIR": str(self.data_dir),
            "CONFIDE_PUBLIC_URL": self.url,
            "CONFIDE_PASSWORD_HASH_MEMORY_KIB": "19456",
            "CONFIDE_LOGIN_RATE_PER_IP": "1000",
            "CONFIDE_LOGIN_RATE_PER_ACCOUNT": "1000",
            "CONFIDE_LOG_LEVEL": "WARNING",
            **self.settings,
        }
        self.log = log = (self.data_dir.parent / f"server-{self.port}.log").open("wb")
        command = [sys.executable, "-m", "confide", "serve", "--host", "127.0.0.1"]
        self.process = subprocess.Popen(
            [*command, "--port", str(self.port)], env=env, stdout=log, stderr=log
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"confide serve exited; see {log.name}")
            try:
                if httpx.get(f"{self.url}/readyz", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        raise RuntimeError("confide serve did not become ready in 30 s")

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)
            self.process = None
        if self.log is not None:
            self.log.close()
            self.log = None

    def api(self) -> httpx.Client:
        return httpx.Client(base_url=self.url, headers={"x-confide-csrf": "1"}, timeout=10)

    def kill(self) -> None:
        """Kill the process at once (SIGKILL: no shutdown, as when a machine dies)."""
        if self.process is not None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(10)
            self.process = None
        if self.log is not None:
            self.log.close()
            self.log = None

    def log_text(self) -> str:
        path = self.data_dir.parent / f"server-{self.port}.log"
        return path.read_text(errors="replace") if path.exists() else ""
