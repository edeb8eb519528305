"""The isolation matrix: user B, using user A's real ids in paths and bodies, gets 404 (403 on
admin routes), sees nothing of A's, and A's data is unchanged afterwards (checked through A's
own API). The matrix is routes.TABLE; a route of the app without an entry fails here."""

from __future__ import annotations

import json
import re

import pytest

from tests.security.checks import acting, assert_clear_error, assert_nothing_private, send
from tests.security.routes import (
    TABLE,
    Attack,
    Ids,
    app_routes,
    attack_cases,
    body_model,
    case_id,
    level_of,
)
from tests.security.world import B_GROUP, GROUP, Upload, World, assert_unchanged, json_of

ID_FIELD = re.compile(r"(_id|_ids|^model|^models|^base_model)$")


async def test_every_route_has_a_matrix_entry(world: World) -> None:
    missing = sorted(r.key for r in app_routes(world.app) if r.key not in TABLE)
    assert not missing, (
        "routes with no entry in the isolation matrix (tests/security/routes.py TABLE): "
        + ", ".join(f"{m} {p}" for m, p in missing)
    )


async def test_every_matrix_entry_is_a_route(world: World) -> None:
    present = {r.key for r in app_routes(world.app)}
    stale = sorted(set(TABLE) - present)
    assert not stale, "matrix entries for routes the app no longer has: " + ", ".join(
        f"{m} {p}" for m, p in stale
    )


async def test_levels_match_the_routes_own_guards(world: World) -> None:
    wrong = [
        f"{r.method} {r.path}: table says {TABLE[r.key].level}, route requires {level_of(r.route)}"
        for r in app_routes(world.app)
        if r.route is not None and r.key in TABLE and TABLE[r.key].level != level_of(r.route)
    ]
    assert not wrong, "\n".join(wrong)


def test_every_entry_is_attacked_and_admin_routes_expect_403() -> None:
    for (method, path), entry in TABLE.items():
        assert entry.attacks, f"{method} {path} has no attack"
        if entry.ids is Ids.ADMIN:
            assert all(a.expect == 403 for a in entry.attacks), f"{method} {path}"
        if entry.ids is Ids.OWNED:
            assert any(a.expect == 404 for a in entry.attacks), f"{method} {path}"


async def test_every_path_parameter_is_attacked_with_a_real_id(world: World) -> None:
    """Each route with path parameters has an attack filling every one of them with an id
    that exists in the world."""
    real = set(world.ids.values())
    missing = []
    for r in app_routes(world.app):
        if r.route is None or not r.route.param_convertors:
            continue
        paths = [world.fill(a.path).split("?")[0] for a in TABLE[r.key].attacks]
        matches = [r.route.path_regex.match(p) for p in paths]
        if not any(
            m and all(any(i in v for i in real) for v in m.groupdict().values()) for m in matches
        ):
            missing.append(f"{r.method} {r.path}")
    assert not missing, "path parameters never given a real id: " + ", ".join(missing)


async def test_every_id_in_a_body_is_smuggled(world: World) -> None:
    """Each body field that names something (…_id, …_ids, model, base_model) is sent with one
    of A's ids by some attack (admin routes refuse B before reading the body)."""
    missing = []
    for r in app_routes(world.app):
        model = body_model(r.route)
        entry = TABLE.get(r.key)
        if model is None or entry is None or entry.ids is Ids.ADMIN:
            continue
        smuggled = {
            name
            for a in entry.attacks
            if isinstance(a.body, dict)
            for name, value in a.body.items()
            if "{a_" in json.dumps(value) or "{group}" in json.dumps(value)
        }
        for name in model.model_fields:
            if ID_FIELD.search(name) and name not in smuggled:
                missing.append(f"{r.method} {r.path}: {name}")
    assert not missing, "body ids never smuggled: " + ", ".join(missing)


@pytest.mark.parametrize("case", attack_cases(), ids=case_id)
async def test_b_cannot_reach_a(world: World, case: tuple[str, Attack]) -> None:
    route, attack = case
    method = route.split(" ", 1)[0]
    raw = isinstance(attack.body, bytes | Upload)  # a picture or a file upload
    sent = json.dumps(world.fill([attack.path, None if raw else attack.body]))
    async with acting(world, attack.actor) as c:
        response = await send(world, c, method, attack.path, attack.body)
    expected = attack.expect if isinstance(attack.expect, tuple) else (attack.expect,)
    assert response.status_code in expected, f"{response.status_code}: {response.text[:500]}"
    if response.status_code >= 400:
        assert_clear_error(response)
    assert_nothing_private(world, response, sent)
    await assert_unchanged(world)


async def test_each_member_lists_only_their_own_groups(world: World) -> None:
    """B is in "Team Bob" only, A in "Team Alice" only: each sees just theirs, by session or key."""
    expected = {
        "a": [{"id": world.ids["group"], "name": GROUP, "description": ""}],
        "b": [{"id": world.ids["b_group"], "name": B_GROUP, "description": ""}],
        "b_key": [{"id": world.ids["b_group"], "name": B_GROUP, "description": ""}],
        "admin": [],
    }
    for actor, groups in expected.items():
        page = await json_of(world.client(actor), "/api/groups/mine", params={"limit": 200})
        assert page == {"items": groups, "next_cursor": None}, actor
