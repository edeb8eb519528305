"""Schema-driven fuzzing: schemathesis makes requests from the app's own OpenAPI schema and
sends them in-process (ASGI, no network) as the admin, as an ordinary user and anonymously.

Every answer must be no server error (5xx), have a status code the schema documents for that
operation, a documented content type, and a body valid against the documented schema. Each
operation gets 2 x CONFIDE_TEST_FUZZ_EXAMPLES requests per actor, valid and invalid ones mixed
(4 by default, so the module stays under a minute; raise it for a longer run). The examples
are the same on every run unless CONFIDE_TEST_FUZZ_RANDOM=1 asks for new ones.
"""

from __future__ import annotations

import copy
import os
import re
from pathlib import Path
from typing import Any

import httpx
import hypothesis
import pytest
import schemathesis
from hypothesis import HealthCheck, given
from hypothesis import strategies as st
from schemathesis.generation import GenerationMode
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from confide.app import create_app
from tests.conftest import make_settings
from tests.security.checks import REQUEST_TIMEOUT
from tests.security.world import World

EXAMPLES = int(os.environ.get("CONFIDE_TEST_FUZZ_EXAMPLES", "4"))
RANDOM = os.environ.get("CONFIDE_TEST_FUZZ_RANDOM") == "1"
ACTORS = ("admin", "b", "anon")
CHECKS = [
    schemathesis.checks.not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]
# Requests that would end the actor's own session or lock it out, so that every later request
# tests the refusal of a visitor instead (tests/security/test_authentication.py covers them).
SELF_ENDING = {("POST", "/api/auth/logout"), ("POST", "/api/auth/password")}
# The examples are async: anyio's plugin runs each one on the world's event loop.
pytestmark = pytest.mark.anyio


def _raw_schema() -> dict[str, Any]:
    """The schema the app serves at /api/openapi.json (built without opening anything)."""
    settings = make_settings(Path("/nonexistent"), "sqlite+aiosqlite:///:memory:")
    schema: dict[str, Any] = create_app(settings).openapi()
    return schema


RAW = _raw_schema()
SCHEMA = schemathesis.openapi.from_dict(copy.deepcopy(RAW))
OPERATIONS = {op.label: op for op in (result.ok() for result in SCHEMA.get_all_operations())}


def _strategy(label: str) -> st.SearchStrategy[Any]:
    operation = OPERATIONS[label]
    return st.one_of(
        operation.as_strategy(generation_mode=GenerationMode.POSITIVE),
        operation.as_strategy(generation_mode=GenerationMode.NEGATIVE),
    )


STRATEGIES = {label: _strategy(label) for label in OPERATIONS}


def _actors(label: str) -> list[str]:
    operation = OPERATIONS[label]
    key = (operation.method.upper(), operation.path)
    return ["anon"] if key in SELF_ENDING else list(ACTORS)


def test_the_schema_has_operations() -> None:
    assert len(OPERATIONS) > 30, sorted(OPERATIONS)


async def test_the_fuzzed_schema_is_the_one_served(world: World) -> None:
    served = await world.client("b").get("/api/openapi.json")
    assert served.status_code == 200, served.text
    assert served.json() == RAW


async def exchange(world: World, actor: str, case: Any) -> None:
    """Send one generated request as `actor`; check the answer against the schema."""
    client = world.client(actor)
    request = client.build_request(timeout=REQUEST_TIMEOUT, **_httpx_kwargs(case, client))
    request.read()  # a multipart body streams; schemathesis reads the request back to report
    response = await client.send(request)
    case.validate_response(response, checks=CHECKS)


def _fuzz_test(label: str) -> Any:
    """The test of one operation. The case is drawn by hypothesis outside the event loop (a
    rejected draw stops the example with a BaseException that must not cross the loop)."""

    @pytest.mark.parametrize("actor", _actors(label))
    @hypothesis.settings(
        max_examples=2 * EXAMPLES,
        deadline=None,
        database=None,
        derandomize=not RANDOM,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
        phases=[hypothesis.Phase.explicit, hypothesis.Phase.generate],
    )
    @given(case=STRATEGIES[label])
    async def test(world: World, actor: str, case: Any) -> None:
        await exchange(world, actor, case)

    return test


for _label in OPERATIONS:
    _name = "test_fuzz_" + re.sub(r"\W+", "_", _label).strip("_")
    globals()[_name] = _fuzz_test(_label)
    globals()[_name].__name__ = _name


def _items(files: Any) -> list[tuple[str, Any]]:
    if files is None:
        return []
    return list(files.items()) if isinstance(files, dict) else list(files)


def _as_file(field: str, value: Any) -> tuple[str, Any]:
    """A generated multipart file (schemathesis may make it a number or a string) as httpx
    takes one: content as bytes, with a file name."""
    name, content = ("generated.bin", value)
    if isinstance(value, tuple):
        name, content = value[0], value[1]
    if not isinstance(content, bytes):
        content = str(content).encode()
    return field, (str(name), content)


def _httpx_kwargs(case: Any, client: httpx.AsyncClient) -> dict[str, Any]:
    """The request schemathesis made (in `requests`' terms), in httpx's."""
    sent = case.as_transport_kwargs(base_url=str(client.base_url))
    kwargs = {k: sent[k] for k in ("method", "url", "headers", "params", "json") if k in sent}
    if isinstance(sent.get("data"), str | bytes):
        kwargs["content"] = sent["data"]
    elif "data" in sent:
        kwargs["data"] = sent["data"]
    if sent.get("files") is not None:
        kwargs["files"] = [_as_file(field, value) for field, value in _items(sent["files"])]
    unknown = set(sent) - {*kwargs, "data", "cookies", "files"}
    assert not unknown, f"transport arguments not passed on: {unknown}"
    return kwargs
