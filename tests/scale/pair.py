"""Two replicas: `confide serve` twice, each with its own data dir, sharing the master key
file, a PostgreSQL database and Redis; A starts first (it migrates), then B."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

from tests.conftest import PASSWORD
from tests.serving import Server

ADMIN = {"email": "ada@example.com", "password": PASSWORD, "name": "Ada Lovelace"}
TIMEOUT_SECONDS = 5  # CONFIDE_REPLICA_TIMEOUT_SECONDS of the pair
LEASE_SECONDS = 8  # CONFIDE_JOB_LEASE_SECONDS of the pair


@dataclass
class Pair:
    a: Server
    b: Server
    timeout: int = TIMEOUT_SECONDS
    lease: int = LEASE_SECONDS

    @contextmanager
    def admin(self, server: Server) -> Iterator[httpx.Client]:
        with server.api() as api:
            login = {"email": ADMIN["email"], "password": ADMIN["password"]}
            api.post("/api/auth/login", json=login).raise_for_status()
            yield api

    def new_member(self) -> str:
        """Sign up a member (open sign-up) through A; answers their address."""
        email = f"member-{secrets.token_hex(4)}@example.com"
        with self.a.api() as api:
            body = {"email": email, "password": PASSWORD, "name": "Member"}
            api.post("/api/auth/signup", json=body).raise_for_status()
        return email


@contextmanager
def member(server: Server, cookies: httpx.Cookies | None = None) -> Iterator[httpx.Client]:
    """A client of `server`: a new member signed in, or the session in `cookies` (the same
    person, going through another replica)."""
    with server.api() as api:
        if cookies is not None:
            api.cookies = httpx.Cookies(cookies)
            yield api
            return
        email = f"member-{secrets.token_hex(4)}@example.com"
        body = {"email": email, "password": PASSWORD, "name": "Member"}
        api.post("/api/auth/signup", json=body).raise_for_status()
        api.post("/api/auth/login", json={"email": email, "password": PASSWORD})
        yield api


def start_pair(root: Path, settings: dict[str, str], model_url: str) -> Iterator[Pair]:
    """Start A (then set it up: an admin, the fake model as a connection), then B; both are
    stopped when the generator is closed."""
    shared = {
        **settings,
        "CONFIDE_MASTER_KEY_FILE": str(root / "master.key"),
        "CONFIDE_SIGNUP_MODE": "open",
        "CONFIDE_REPLICA_TIMEOUT_SECONDS": str(TIMEOUT_SECONDS),
        "CONFIDE_JOB_LEASE_SECONDS": str(LEASE_SECONDS),
        "CONFIDE_LOGIN_RATE_PER_ACCOUNT": "6",
    }
    a = Server(root / "a" / "data", settings=dict(shared))
    b = Server(root / "b" / "data", settings=dict(shared))
    for server in (a, b):
        server.data_dir.parent.mkdir(parents=True)
    try:
        a.start()
        with a.api() as api:
            api.post("/api/auth/signup", json=ADMIN).raise_for_status()
            connection = {"kind": "openai", "name": "Fake", "base_url": model_url}
            api.post("/api/connections", json=connection).raise_for_status()
        b.start()
        yield Pair(a, b)
    finally:
        b.stop()
        a.stop()
