"""Test kit: a real database built by the real migrations, and in-process HTTP clients.

`--db=sqlite` (default) or `--db=postgresql` (or CONFIDE_TEST_DB) picks the database. With
PostgreSQL, the tests run in a database of their own created on the server at
CONFIDE_TEST_POSTGRES_URL (default: the local server), and are skipped, with the reason, when
that server cannot be reached.
"""

from __future__ import annotations

import asyncio
import functools
import inspect
import os
import shutil
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import asyncpg
import boto3
import httpx
import pytest
from sqlalchemy import text

from confide.app import build_context, close_context, create_app
from confide.db import migrate
from confide.db.engine import Database
from confide.db.tables import Base
from confide.services.context import Context
from confide.settings import Settings

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

pytest_plugins = ["tests.fakes.fixtures"]  # fake upstreams, loopback-only guard

PG_SERVER = os.environ.get(
    "CONFIDE_TEST_POSTGRES_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/test"
)
REDIS_SERVER = os.environ.get("CONFIDE_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
PASSWORD = "a sturdy passphrase 42"
BASE_URL = "http://127.0.0.1:8080"


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--db",
        choices=["sqlite", "postgresql"],
        default=os.environ.get("CONFIDE_TEST_DB", "sqlite"),
        help="database the suite runs against",
    )


@pytest.hookimpl(tryfirst=True)
def pytest_pycollect_makeitem(collector: pytest.Collector, name: str, obj: object) -> None:
    """Run every `async def test_…` on asyncio through anyio's plugin."""
    if name.startswith("test") and inspect.iscoroutinefunction(obj):
        pytest.mark.anyio(obj)


@pytest.fixture(scope="session")
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(autouse=True)
def _clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """Settings come from the test, never from the developer's shell."""
    for name in list(os.environ):
        if name.startswith("CONFIDE_") and not name.startswith("CONFIDE_TEST_"):
            monkeypatch.delenv(name)


# --- Redis -----------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def redis_url() -> str:
    """The Redis the scale-out tests share (CONFIDE_TEST_REDIS_URL); they skip, saying why,
    where there is none. Tests use random keys, so runs never see each other's data."""
    import redis

    client = redis.Redis.from_url(REDIS_SERVER, socket_connect_timeout=2)
    try:
        client.ping()
    except (redis.RedisError, OSError) as exc:
        pytest.skip(f"Redis at {REDIS_SERVER} is unreachable ({type(exc).__name__}: {exc})")
    finally:
        client.close()
    return REDIS_SERVER


# --- databases -------------------------------------------------------------------------------


def _pg_admin_dsn() -> str:
    return PG_SERVER.replace("postgresql+asyncpg://", "postgresql://")


async def _pg_reachable() -> str | None:
    try:
        conn = await asyncpg.connect(_pg_admin_dsn(), timeout=3)
    except (OSError, asyncpg.PostgresError, TimeoutError) as exc:
        return f"PostgreSQL at {PG_SERVER} is unreachable ({type(exc).__name__}: {exc})"
    await conn.close()
    return None


async def _pg_create_database(name: str) -> None:
    conn = await asyncpg.connect(_pg_admin_dsn())
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()


async def _pg_drop_database(name: str) -> None:
    conn = await asyncpg.connect(_pg_admin_dsn())
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await conn.close()


async def _migrate(url: str) -> None:
    db = Database(url)
    try:
        await migrate.upgrade(db)
    finally:
        await db.dispose()


@pytest.fixture(scope="session")
def db_kind(request: pytest.FixtureRequest) -> str:
    kind: str = request.config.getoption("--db")
    return kind


@pytest.fixture(scope="session")
def database_template(db_kind: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A migrated database for the whole run: a SQLite file to copy, or a PostgreSQL URL."""
    if db_kind == "sqlite":
        path = tmp_path_factory.mktemp("template") / "confide.db"
        asyncio.run(_migrate(f"sqlite+aiosqlite:///{path}"))
        yield str(path)
        return
    reason = asyncio.run(_pg_reachable())
    if reason:
        pytest.skip(reason)
    name = f"confide_test_{uuid.uuid4().hex[:12]}"
    asyncio.run(_pg_create_database(name))
    url = PG_SERVER.rsplit("/", 1)[0] + f"/{name}"
    asyncio.run(_migrate(url))
    yield url
    asyncio.run(_pg_drop_database(name))


@pytest.fixture
def database_url(db_kind: str, database_template: str, tmp_path: Path) -> str:
    if db_kind == "sqlite":
        target = tmp_path / "data" / "confide.db"
        target.parent.mkdir(mode=0o700)
        shutil.copyfile(database_template, target)
        return f"sqlite+aiosqlite:///{target}"
    return database_template


async def _truncate_all(url: str) -> None:
    db = Database(url)
    try:
        names = ", ".join(f'"{t.name}"' for t in Base.metadata.sorted_tables)
        async with db.engine.begin() as conn:
            await conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
    finally:
        await db.dispose()


# --- object storage --------------------------------------------------------------------------

S3_REGION = "us-east-1"
S3_KEY_ID, S3_SECRET = "confide-test", "confide-test-secret"  # moto takes any pair


@pytest.fixture(scope="session")
def s3_endpoint() -> Iterator[str]:
    """A real S3-compatible server for the session (moto, in this process, on 127.0.0.1 at a
    free port): its URL. It starts empty; `new_bucket` makes a bucket of a test's own."""
    # Imported here: moto is slow to import, and most test runs never need it.
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    try:
        yield f"http://{host}:{port}"
    finally:
        server.stop()


@functools.cache
def s3_client(endpoint: str) -> S3Client:
    """A plain boto3 client of that server, to look at buckets from outside the app."""
    return boto3.session.Session().client(
        "s3",
        endpoint_url=endpoint,
        region_name=S3_REGION,
        aws_access_key_id=S3_KEY_ID,
        aws_secret_access_key=S3_SECRET,
    )


def new_bucket(endpoint: str) -> str:
    """Create a bucket with a name no other test uses; answers the name."""
    name = f"confide-test-{uuid.uuid4().hex[:16]}"
    s3_client(endpoint).create_bucket(Bucket=name)
    return name


def s3_settings(endpoint: str, bucket: str, prefix: str = "confide") -> dict[str, Any]:
    """Settings overrides that put uploaded files in `bucket` (under `prefix`)."""
    return {
        "storage_url": f"s3://{bucket}/{prefix}" if prefix else f"s3://{bucket}",
        "storage_endpoint": endpoint,
        "storage_region": S3_REGION,
        "storage_access_key_id": S3_KEY_ID,
        "storage_secret_access_key": S3_SECRET,
    }


def object_names(endpoint: str, bucket: str) -> list[str]:
    """Every object name in `bucket` (for checking what was, or was not, left behind)."""
    pages = s3_client(endpoint).get_paginator("list_objects_v2").paginate(Bucket=bucket)
    return [item["Key"] for page in pages for item in page.get("Contents", [])]


# --- the app ---------------------------------------------------------------------------------


def make_settings(tmp_path: Path, database_url: str, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "data_dir": tmp_path / "data",
        "database_url": database_url,
        "password_hash_memory_kib": 19456,
        "public_url": BASE_URL,
    }
    values.update(overrides)
    return Settings(**values)


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    """Override in a test module to change settings for its tests."""
    return {}


@pytest.fixture
def settings(tmp_path: Path, database_url: str, settings_overrides: dict[str, Any]) -> Settings:
    return make_settings(tmp_path, database_url, **settings_overrides)


@pytest.fixture
async def ctx(settings: Settings, db_kind: str) -> AsyncIterator[Context]:
    if db_kind == "postgresql":
        await _truncate_all(settings.sqlalchemy_url)
    context = await build_context(settings)
    yield context
    await close_context(context)


@pytest.fixture
def app(settings: Settings, ctx: Context) -> Any:
    return create_app(settings, ctx)


def new_client(app: Any, **kwargs: Any) -> httpx.AsyncClient:
    headers = {"x-confide-csrf": "1", **kwargs.pop("headers", {})}
    return httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url=BASE_URL, headers=headers, **kwargs
    )


@pytest.fixture
async def client(app: Any) -> AsyncIterator[httpx.AsyncClient]:
    async with new_client(app) as c:
        yield c


async def signup(
    client: httpx.AsyncClient, email: str, *, name: str = "Someone", password: str = PASSWORD
) -> dict[str, Any]:
    response = await client.post(
        "/api/auth/signup", json={"email": email, "password": password, "name": name}
    )
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


@pytest.fixture
async def admin(app: Any) -> AsyncIterator[httpx.AsyncClient]:
    """A client signed in as the first account, which is the admin."""
    async with new_client(app) as c:
        c.user = await signup(c, "admin@example.com", name="Ada Admin")  # type: ignore[attr-defined]
        yield c


@pytest.fixture
async def user(app: Any, admin: httpx.AsyncClient) -> AsyncIterator[httpx.AsyncClient]:
    """A client signed in as an approved ordinary user."""
    async with new_client(app) as c:
        c.user = await signup(c, "user@example.com", name="Uma User")  # type: ignore[attr-defined]
        approved = await admin.post(f"/api/users/{c.user['id']}/approve")  # type: ignore[attr-defined]
        assert approved.status_code == 200, approved.text
        yield c
