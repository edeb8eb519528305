"""Fixtures of the replica tests: a fresh PostgreSQL database and S3 bucket (moto) per pair,
Redis, the fake model.

They run in the PostgreSQL pass only (`make test` runs both passes): replicas need a database
server, and SQLite is one process's database.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable, Iterator

import pytest

from tests.conftest import (
    PG_SERVER,
    _pg_create_database,
    _pg_drop_database,
    _pg_reachable,
    new_bucket,
    s3_settings,
)
from tests.e2e.fake_model import ScriptedModel, serve_model

MakeSettings = Callable[[], dict[str, str]]


@pytest.fixture(scope="module")
def scale_model() -> Iterator[ScriptedModel]:
    yield from serve_model(ScriptedModel)


@pytest.fixture(scope="module")
def new_settings(db_kind: str, redis_url: str, s3_endpoint: str) -> Iterator[MakeSettings]:
    """Makes the CONFIDE_* settings of a pair: a database and a bucket of its own (the
    database is dropped at the end of the module), and the shared Redis."""
    if db_kind != "postgresql":
        pytest.skip("replica tests run in the PostgreSQL pass (make test runs both)")
    reason = asyncio.run(_pg_reachable())
    if reason:
        pytest.skip(reason)
    made: list[str] = []

    def make() -> dict[str, str]:
        name = f"confide_scale_{uuid.uuid4().hex[:12]}"
        asyncio.run(_pg_create_database(name))
        made.append(name)
        url = PG_SERVER.rsplit("/", 1)[0] + f"/{name}"
        storage = s3_settings(s3_endpoint, new_bucket(s3_endpoint))
        return {
            "CONFIDE_DATABASE_URL": url,
            "CONFIDE_REDIS_URL": redis_url,
            **{f"CONFIDE_{name.upper()}": value for name, value in storage.items()},
        }

    yield make
    for name in made:
        asyncio.run(_pg_drop_database(name))
