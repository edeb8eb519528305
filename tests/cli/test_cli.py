"""The `confide` command, run in-process with its settings in the environment.

`main()` runs its own event loop (asyncio.run), so these tests are plain functions, and any
setup or check that needs the database runs in an `asyncio.run` of its own too.
"""

from __future__ import annotations

import asyncio
import io
import os
import re
import socket
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select, text

from confide import __version__
from confide.app import build_context, create_app
from confide.cli import main
from confide.db import migrate
from confide.db.engine import Database
from confide.db.migrations import HEAD
from confide.db.tables import UserKey
from confide.services.context import Context
from confide.settings import Settings
from tests.conftest import PASSWORD, _truncate_all, new_bucket, new_client, s3_settings
from tests.store.test_sealed_content import MESSAGES, TITLE, make_user, read_chat, write_chat

NEW_PASSWORD = "another sturdy passphrase 7"


@pytest.fixture
def env(settings: Settings, db_kind: str, monkeypatch: pytest.MonkeyPatch) -> Settings:
    """The test's settings, also given to the CLI through CONFIDE_* variables."""
    if db_kind == "postgresql":
        asyncio.run(_truncate_all(settings.sqlalchemy_url))
    monkeypatch.setenv("CONFIDE_DATA_DIR", str(settings.data_dir))
    monkeypatch.setenv("CONFIDE_DATABASE_URL", settings.sqlalchemy_url)
    monkeypatch.setenv("CONFIDE_PASSWORD_HASH_MEMORY_KIB", str(settings.password_hash_memory_kib))
    return settings


def with_ctx(settings: Settings, use: Callable[[Context], Awaitable[Any]]) -> Any:
    async def run() -> Any:
        ctx = await build_context(settings)
        try:
            return await use(ctx)
        finally:
            await ctx.db.dispose()

    return asyncio.run(run())


def with_api(settings: Settings, use: Callable[[httpx.AsyncClient], Awaitable[Any]]) -> Any:
    async def run(ctx: Context) -> Any:
        async with new_client(create_app(settings, ctx)) as client:
            return await use(client)

    return with_ctx(settings, run)


def cli(monkeypatch: pytest.MonkeyPatch, *argv: str, stdin: str = "") -> int:
    monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
    return main(list(argv))


async def login(client: httpx.AsyncClient, email: str, password: str) -> httpx.Response:
    return await client.post("/api/auth/login", json={"email": email, "password": password})


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["version"]) == 0
    assert capsys.readouterr().out == f"confide {__version__}\n"


def test_no_command_prints_help(capsys: pytest.CaptureFixture[str]) -> None:
    assert main([]) == 2
    assert "serve" in capsys.readouterr().out


def test_migrate_creates_the_database_in_an_empty_data_dir(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    data = tmp_path / "fresh"
    monkeypatch.setenv("CONFIDE_DATA_DIR", str(data))
    assert main(["migrate"]) == 0
    assert capsys.readouterr().out == f"database at revision {HEAD} (was None)\n"
    assert (data / "confide.db").is_file()
    assert main(["migrate"]) == 0
    assert capsys.readouterr().out == f"database at revision {HEAD} (was {HEAD})\n"
    db = Database(f"sqlite+aiosqlite:///{data / 'confide.db'}")
    assert asyncio.run(_revision_and_dispose(db)) == HEAD


async def _revision_and_dispose(db: Database) -> str | None:
    try:
        return await migrate.current_revision(db)
    finally:
        await db.dispose()


# --- admin ----------------------------------------------------------------------------------


def test_admin_create_makes_an_admin_who_can_sign_in(
    env: Settings, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ("admin", "create", "--email", "Root@Example.com", "--password-stdin")
    assert cli(monkeypatch, *argv, stdin=PASSWORD + "\n") == 0
    assert capsys.readouterr().out.startswith("created admin root@example.com (")

    async def check(client: httpx.AsyncClient) -> None:
        response = await login(client, "root@example.com", PASSWORD)
        assert response.status_code == 200, response.text
        assert response.json()["role"] == "admin"
        assert (await client.get("/api/users")).status_code == 200

    with_api(env, check)


def test_admin_create_prompts_twice_for_the_password(
    env: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    answers = iter([PASSWORD, PASSWORD, PASSWORD, "something else entirely"])
    monkeypatch.setattr("getpass.getpass", lambda prompt: next(answers))
    assert main(["admin", "create", "--email", "a@example.com"]) == 0
    with pytest.raises(SystemExit, match="passwords do not match"):
        main(["admin", "create", "--email", "b@example.com"])


def test_admin_create_refuses_a_duplicate_email(
    env: Settings, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ("admin", "create", "--email", "root@example.com", "--password-stdin")
    assert cli(monkeypatch, *argv, stdin=PASSWORD) == 0
    capsys.readouterr()
    assert cli(monkeypatch, *argv[:3], "ROOT@example.com", argv[4], stdin=PASSWORD) == 2
    assert capsys.readouterr().err == (
        "confide: An account with this email address already exists.\n"
    )


@pytest.mark.parametrize(
    ("password", "rule"),
    [
        ("short", "at least 10 characters"),
        ("Password123", "too common"),
        ("root@example.com", "email address or name"),
    ],
)
def test_admin_create_refuses_a_weak_password(
    env: Settings,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    password: str,
    rule: str,
) -> None:
    argv = ("admin", "create", "--email", "root@example.com", "--password-stdin")
    assert cli(monkeypatch, *argv, stdin=password + "\n") == 2
    err = capsys.readouterr().err
    assert err.startswith("confide: ")
    assert rule in err
    assert err.count("\n") == 1


def test_admin_create_refuses_a_bad_email(
    env: Settings, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ("admin", "create", "--email", "not-an-email", "--password-stdin")
    assert cli(monkeypatch, *argv, stdin=PASSWORD) == 2
    assert capsys.readouterr().err.startswith("confide: Not a valid email address")


def test_admin_reset_password_changes_it_and_ends_sessions(
    env: Settings, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    create = ("admin", "create", "--email", "root@example.com", "--password-stdin")
    assert cli(monkeypatch, *create, stdin=PASSWORD) == 0

    async def sign_in(client: httpx.AsyncClient) -> str:
        assert (await login(client, "root@example.com", PASSWORD)).status_code == 200
        return client.cookies["confide_session"]

    token = with_api(env, sign_in)
    reset = ("admin", "reset-password", "--email", "root@example.com", "--password-stdin")
    assert cli(monkeypatch, *reset, stdin=NEW_PASSWORD + "\n") == 0
    assert "sessions were ended" in capsys.readouterr().out

    async def check(client: httpx.AsyncClient) -> None:
        client.cookies.set("confide_session", token)
        assert (await client.get("/api/auth/me")).status_code == 401
        client.cookies.clear()
        assert (await login(client, "root@example.com", PASSWORD)).status_code == 401
        assert (await login(client, "root@example.com", NEW_PASSWORD)).status_code == 200

    with_api(env, check)


def test_admin_reset_password_of_an_unknown_account(
    env: Settings, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    reset = ("admin", "reset-password", "--email", "nobody@example.com", "--password-stdin")
    assert cli(monkeypatch, *reset, stdin=NEW_PASSWORD) == 2
    assert capsys.readouterr().err == "confide: No account with the email nobody@example.com.\n"


# --- settings -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("CONFIDE_PORT", "abc"),
        ("CONFIDE_SIGNUP_MODE", "maybe"),
        ("CONFIDE_PUBLIC_URL", "ftp://x"),
        ("CONFIDE_DATABASE_URL", "mysql://x"),
        ("CONFIDE_CORS_ORIGINS", "http://a/path"),
    ],
)
def test_invalid_settings_stop_with_one_line_naming_the_variable(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], name: str, value: str
) -> None:
    monkeypatch.setenv(name, value)
    assert main(["migrate"]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.startswith(f"confide: invalid setting {name}: ")
    assert captured.err.count("\n") == 1


def test_serve_stops_in_one_line_when_the_bucket_cannot_be_used(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], s3_endpoint: str
) -> None:
    served: list[Any] = []
    monkeypatch.setattr("confide.server.serve", lambda *args: served.append(args))
    monkeypatch.setattr("confide.logs.configure", lambda settings: None)
    for name, value in s3_settings(s3_endpoint, "no-such-bucket").items():
        monkeypatch.setenv(f"CONFIDE_{name.upper()}", value)
    assert main(["serve"]) == 2
    assert capsys.readouterr().err == (
        f"confide: bucket 'no-such-bucket' at {s3_endpoint} does not exist: create it, or fix "
        "CONFIDE_STORAGE_URL\n"
    )
    assert served == []
    monkeypatch.setenv("CONFIDE_STORAGE_URL", f"s3://{new_bucket(s3_endpoint)}/confide")
    assert main(["serve"]) == 0  # the bucket answers: on to serving
    assert len(served) == 1


def test_a_key_file_readable_by_others_stops_the_cli(
    env: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    env.data_dir.mkdir(exist_ok=True)
    env.key_file.write_text("")
    env.key_file.chmod(0o644)
    assert main(["audit", "verify"]) == 2
    assert "run chmod 600" in capsys.readouterr().err


# --- audit verify ---------------------------------------------------------------------------


def test_audit_verify_finds_the_first_edited_event(
    env: Settings, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    for email in ("a@example.com", "b@example.com"):
        argv = ("admin", "create", "--email", email, "--password-stdin")
        assert cli(monkeypatch, *argv, stdin=PASSWORD) == 0
    reset = ("admin", "reset-password", "--email", "a@example.com", "--password-stdin")
    assert cli(monkeypatch, *reset, stdin=NEW_PASSWORD) == 0
    capsys.readouterr()
    assert main(["audit", "verify"]) == 0
    assert capsys.readouterr().out.startswith("audit log intact: 3 events, head ")

    async def tamper(ctx: Context) -> int:
        async with ctx.db.write() as session:
            seqs = (await session.scalars(text("SELECT seq FROM audit_events ORDER BY seq"))).all()
            edit = text("UPDATE audit_events SET actor_id = 'someone-else' WHERE seq = :seq")
            await session.execute(edit, {"seq": seqs[1]})
            await session.execute(edit, {"seq": seqs[2]})
        return int(seqs[1])

    broken = with_ctx(env, tamper)
    assert main(["audit", "verify"]) == 1
    out = capsys.readouterr().out
    assert out.startswith(f"audit log BROKEN at event {broken}: ")
    assert "(1 events before it verified)" in out


# --- keys rotate ----------------------------------------------------------------------------


def test_keys_rotate_rewraps_data_keys_and_content_still_opens(
    env: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    async def seed(ctx: Context) -> tuple[Any, str, str, dict[str, bytes]]:
        alice = await make_user(ctx, "alice@example.com")
        chat_id = await write_chat(ctx, alice, TITLE, MESSAGES)
        return alice, chat_id, ctx.sealer.ring.current_id, await _raw_content(ctx)

    alice, chat_id, old_key, content = with_ctx(env, seed)
    assert main(["keys", "rotate"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("master key rotated to ")
    assert out.endswith("; 1 data keys re-wrapped\n")
    assert old_key not in env.key_file.read_text()

    async def check(ctx: Context) -> None:
        assert ctx.sealer.ring.ids() != [old_key]
        async with ctx.db.read() as session:
            kek_ids = set((await session.scalars(select(UserKey.kek_id))).all())
        assert kek_ids == {ctx.sealer.ring.current_id}
        assert await _raw_content(ctx) == content
        assert await read_chat(ctx, alice, chat_id) == (TITLE, MESSAGES)

    with_ctx(env, check)


async def _raw_content(ctx: Context) -> dict[str, bytes]:
    async with ctx.db.read() as session:
        rows = await session.execute(
            text("SELECT id, content FROM messages UNION ALL SELECT id, title FROM chats")
        )
        return {row[0]: bytes(row[1]) for row in rows}


# --- serve ----------------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


# Imported only where they are used (the parse worker, the embedder, the local model, metrics
# once configured, the S3 store): each costs the idle server megabytes and its start tenths
# of a second.
HEAVY = {
    *("numpy", "docx", "openpyxl", "pptx", "pypdf", "PIL", "lxml", "tokenizers", "llama_cpp"),
    "prometheus_client",
    *("boto3", "botocore"),
}


@pytest.mark.slow
def test_serve_starts_and_becomes_ready_without_heavy_imports(tmp_path: Path) -> None:
    port = _free_port()
    environment = {k: v for k, v in os.environ.items() if not k.startswith("CONFIDE_")}
    environment |= {"CONFIDE_DATA_DIR": str(tmp_path / "data"), "CONFIDE_PORT": str(port)}
    command = [sys.executable, "-X", "importtime", "-m", "confide", "serve"]
    log = tmp_path / "server.log"  # a file, not a pipe: importtime writes more than a pipe holds
    with log.open("wb") as sink:
        server = subprocess.Popen(command, env=environment, stderr=sink)
        try:
            ready = _poll_ready(f"http://127.0.0.1:{port}/readyz", server, deadline=20)
            exited = server.poll()
            time.sleep(1)  # the background workers' first steps
        finally:
            server.terminate()
            try:
                server.wait(timeout=10)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait()
    err = log.read_text(errors="replace")
    assert ready, f"not ready (exit code {exited}): {err[-2000:]}"
    assert (tmp_path / "data" / "master.key").is_file()
    assert (tmp_path / "data" / "confide.db").is_file()
    imported = re.findall(r"^import time:.*\|\s*([\w.]+)$", err, re.M)
    assert len(imported) > 100  # -X importtime reported every import
    assert HEAVY & {name.split(".")[0] for name in imported} == set()


def _poll_ready(url: str, server: subprocess.Popen[bytes], *, deadline: float) -> bool:
    give_up = time.monotonic() + deadline
    while time.monotonic() < give_up and server.poll() is None:
        try:
            if httpx.get(url, timeout=1).status_code == 200:
                return True
        except httpx.TransportError:
            pass
        time.sleep(0.05)
    return False
