"""The isolation matrix: every route of the app, what it takes, and how it is attacked.

`TABLE` has one entry per (method, path template) in the app's route table; a route missing
from it, or an entry for a route that no longer exists, fails the suite (test_isolation.py).
Each entry says:

- `level`: who may call the route at all (checked against the route's own dependencies);
- `ids`: what user B gets when using A's ids there: `OWNED` (A's data: 404, exactly like a
  missing one), `ADMIN` (admin only: 403 whatever the ids), `NO_ID` (the route takes no id of
  anyone's data; B's request acts on B's own), `SHELL` (the public web app page; any id in its
  path is only read by the browser);
- `attacks`: the requests B makes with A's real ids, in the path and smuggled in bodies;
- `own`: for unsafe routes, the request the data's owner would legitimately make (used for
  CSRF and mass assignment: with it, a forged request would really change something).

Paths and bodies use `{a_chat}`-style placeholders for the world's real ids (world.py).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute, iter_route_contexts

from confide.api import deps
from tests.conftest import PASSWORD
from tests.security.world import A_EMAIL, A_TAG, B_AVATAR, B_FILE, MODEL


class Level(StrEnum):
    public = "public"
    signed_in = "signed in"
    member = "approved member"
    admin = "admin"


class Ids(StrEnum):
    OWNED = "another user's data: 404"
    ADMIN = "admin only: 403"
    NO_ID = "no id"
    SHELL = "public app shell"


@dataclass(frozen=True)
class Attack:
    label: str
    path: str
    body: Any = None
    expect: int | tuple[int, ...] = 404
    actor: str = "b"


@dataclass(frozen=True)
class Own:
    """The request the owner of the data would make (`a`, `admin`, or `anon` for sign-in)."""

    actor: str
    path: str
    body: Any = None


@dataclass(frozen=True)
class Route:
    level: Level
    ids: Ids
    attacks: tuple[Attack, ...]
    own: Own | None = None


def _owned(*attacks: Attack, level: Level = Level.member, own: Own | None = None) -> Route:
    return Route(level, Ids.OWNED, attacks, own)


def _admin(path: str, body: Any = None, *, own: Own | None = None) -> Route:
    return Route(Level.admin, Ids.ADMIN, (Attack("as a user", path, body, 403),), own)


def _no_id(*attacks: Attack, level: Level = Level.member, own: Own | None = None) -> Route:
    return Route(level, Ids.NO_ID, attacks, own)


def _page(path: str) -> Route:
    return Route(
        Level.public,
        Ids.SHELL,
        (Attack("the page", path, expect=200), Attack("", path, None, 200, "anon")),
    )


MSG = {"content": "hello", "model": MODEL}
BULK_A = {"chat_ids": ["{a_chat}"], "action": "archive"}
CHATTING = {"model": MODEL, "messages": [{"role": "user", "content": "hello"}]}
NEW_PASSWORD = "a brand new passphrase 99"
CONNECTION = {"kind": "openai", "name": "Forged", "base_url": "http://127.0.0.1:9/v1"}
IMPORT_A = {
    "format": "confide.chats",
    "version": 1,
    "chats": [
        {
            "id": "{a_chat}",
            "title": "Imported over A's chat?",
            "folder": ["Imported"],
            "tags": ["imported"],
            "current_leaf_id": "{a_reply}",
            "messages": [
                {"id": "{a_msg}", "parent_id": None, "role": "user", "content": "hi"},
                {"id": "{a_reply}", "parent_id": "{a_msg}", "role": "assistant", "content": "ho"},
            ],
        }
    ],
}
OPENWEBUI_A = {
    "id": "{a_chat}",
    "user_id": "{a_user}",
    "title": "Open WebUI chat claiming A",
    "chat": {"history": {"messages": {}, "currentId": None}},
}
MESSAGE = "/api/chats/{a_chat}/messages/{a_msg}"
LIVE = "/api/chats/{a_chat}/messages/{a_live}"
KNOWLEDGE_A = "/api/knowledge/{a_knowledge}"

TABLE: dict[tuple[str, str], Route] = {
    # --- the web app shell and static files (public; no user data) ---
    **{("GET", p): _page(p) for p in ("/", "/login", "/signup", "/pending", "/archived")},
    **{("GET", p): _page(p) for p in ("/settings", "/admin")},
    ("GET", "/c/{chat_id}"): _page("/c/{a_chat}"),
    ("GET", "/s/{token}"): _page("/s/{a_share_token}"),
    ("GET", "/settings/{rest:path}"): _page("/settings/keys/{a_key}"),
    ("GET", "/admin/{rest:path}"): _page("/admin/users/{a_user}"),
    ("GET", "/assets/{path:path}"): Route(
        Level.public, Ids.NO_ID, (Attack("not a file", "/assets/{a_chat}.js", expect=404),)
    ),
    ("GET", "/favicon.svg"): Route(
        Level.public, Ids.NO_ID, (Attack("the icon", "/favicon.svg", expect=(200, 404)),)
    ),
    ("GET", "/healthz"): _no_id(Attack("alive", "/healthz", expect=200), level=Level.public),
    ("GET", "/readyz"): _no_id(Attack("ready", "/readyz", expect=200), level=Level.public),
    # Operators' metrics: until CONFIDE_METRICS_TOKEN or _NETWORKS is set (not in this world),
    # answered exactly like an unknown address; tests/api/test_metrics.py covers the rest.
    ("GET", "/metrics"): _no_id(
        Attack("metrics, not configured", "/metrics", expect=404),
        Attack("", "/metrics", expect=404, actor="anon"),
        level=Level.public,
    ),
    # --- auth ---
    ("GET", "/api/auth/setup"): _no_id(
        Attack("the sign-up status", "/api/auth/setup", expect=200),
        Attack("", "/api/auth/setup", expect=200, actor="anon"),
        level=Level.public,
    ),
    ("POST", "/api/auth/signup"): _no_id(
        Attack(
            "sign up again with A's email",
            "/api/auth/signup",
            {"email": A_EMAIL, "password": NEW_PASSWORD, "name": "Not Alice"},
            409,
        ),
        Attack(
            "sign up claiming A's id",
            "/api/auth/signup",
            {"email": "x@example.com", "password": PASSWORD, "name": "X", "id": "{a_user}"},
            422,
        ),
        level=Level.public,
        own=Own(
            "anon",
            "/api/auth/signup",
            {"email": "new@example.com", "password": PASSWORD, "name": "New"},
        ),
    ),
    ("POST", "/api/auth/login"): _no_id(
        Attack(
            "A's account, B's guess",
            "/api/auth/login",
            {"email": A_EMAIL, "password": "not alice's password"},
            401,
        ),
        level=Level.public,
        own=Own("anon", "/api/auth/login", {"email": A_EMAIL, "password": PASSWORD}),
    ),
    ("POST", "/api/auth/logout"): _no_id(
        Attack("B's own session", "/api/auth/logout", expect=204, actor="b_fresh"),
        level=Level.public,
        own=Own("a", "/api/auth/logout"),
    ),
    ("GET", "/api/auth/me"): _no_id(
        Attack("B's account", "/api/auth/me", expect=200), level=Level.signed_in
    ),
    ("PATCH", "/api/auth/me"): _no_id(
        Attack("rename B", "/api/auth/me", {"name": "Bob Renamed"}, 200),
        Attack("smuggle A's id", "/api/auth/me", {"name": "Bob", "id": "{a_user}"}, 422),
        Attack("smuggle A's email", "/api/auth/me", {"name": "Bob", "email": A_EMAIL}, 422),
        level=Level.signed_in,
        own=Own("a", "/api/auth/me", {"name": "Alice Renamed"}),
    ),
    # --- profile pictures: only ever my own changes; members see anyone's, like a name ---
    ("PUT", "/api/auth/me/avatar"): _no_id(
        Attack("set B's own", "/api/auth/me/avatar", B_AVATAR, 200),
        Attack("smuggle A's id", "/api/auth/me/avatar?user_id={a_user}", B_AVATAR, 200),
        Attack("an SVG", "/api/auth/me/avatar", b"<svg onload='alert(1)'/>", 415),
        level=Level.signed_in,
        own=Own("a", "/api/auth/me/avatar", B_AVATAR),
    ),
    ("DELETE", "/api/auth/me/avatar"): _no_id(
        Attack("remove B's own", "/api/auth/me/avatar", expect=204),
        Attack("smuggle A's id", "/api/auth/me/avatar?user_id={a_user}", expect=204),
        level=Level.signed_in,
        own=Own("a", "/api/auth/me/avatar"),
    ),
    ("GET", "/api/users/{user_id}/avatar"): Route(
        Level.member,
        Ids.NO_ID,
        (
            Attack(
                "A's picture: shown to members, like A's name",
                "/api/users/{a_user}/avatar",
                expect=200,
            ),
            Attack("an id that is not a user's", "/api/users/{a_chat}/avatar", expect=404),
            Attack("", "/api/users/{a_user}/avatar", expect=401, actor="anon"),
            Attack("", "/api/users/{a_user}/avatar", expect=403, actor="pending"),
        ),
    ),
    ("POST", "/api/auth/password"): _no_id(
        Attack(
            "wrong current password",
            "/api/auth/password",
            {"current_password": "not the password", "new_password": NEW_PASSWORD},
            400,
        ),
        Attack(
            "smuggle A's id",
            "/api/auth/password",
            {"current_password": PASSWORD, "new_password": NEW_PASSWORD, "user_id": "{a_user}"},
            422,
        ),
        level=Level.signed_in,
        own=Own(
            "a", "/api/auth/password", {"current_password": PASSWORD, "new_password": NEW_PASSWORD}
        ),
    ),
    ("GET", "/api/auth/sessions"): _no_id(
        Attack("B's sessions", "/api/auth/sessions", expect=200), level=Level.signed_in
    ),
    ("DELETE", "/api/auth/sessions"): _no_id(
        Attack("B's other sessions", "/api/auth/sessions", expect=200),
        level=Level.signed_in,
        own=Own("a", "/api/auth/sessions"),
    ),
    ("DELETE", "/api/auth/sessions/{session_id}"): _owned(
        Attack("A's session", "/api/auth/sessions/{a_session}"),
        level=Level.signed_in,
        own=Own("a", "/api/auth/sessions/{a_session}"),
    ),
    # --- two-factor: always the caller's own; A's id smuggled in is refused ---
    ("GET", "/api/auth/two-factor"): _no_id(
        Attack("B's status", "/api/auth/two-factor", expect=200), level=Level.signed_in
    ),
    ("POST", "/api/auth/two-factor/setup"): _no_id(
        Attack("wrong password", "/api/auth/two-factor/setup", {"password": "not it at all"}, 400),
        Attack(
            "for A",
            "/api/auth/two-factor/setup",
            {"password": PASSWORD, "user_id": "{a_user}"},
            422,
        ),
        level=Level.signed_in,
        own=Own("a", "/api/auth/two-factor/setup", {"password": "not it at all"}),
    ),
    ("POST", "/api/auth/two-factor/confirm"): _no_id(
        Attack("nothing started", "/api/auth/two-factor/confirm", {"code": "123456"}, 409),
        Attack(
            "A's enrolment",
            "/api/auth/two-factor/confirm",
            {"code": "1", "user_id": "{a_user}"},
            422,
        ),
        level=Level.signed_in,
        own=Own("a", "/api/auth/two-factor/confirm", {"code": "123456"}),
    ),
    ("POST", "/api/auth/two-factor/disable"): _no_id(
        Attack(
            "wrong password", "/api/auth/two-factor/disable", {"password": "not it at all"}, 400
        ),
        Attack(
            "A's",
            "/api/auth/two-factor/disable",
            {"password": PASSWORD, "user_id": "{a_user}"},
            422,
        ),
        level=Level.signed_in,
        own=Own("a", "/api/auth/two-factor/disable", {"password": "not it at all"}),
    ),
    ("POST", "/api/auth/two-factor/recovery-codes"): _no_id(
        Attack(
            "two-factor off", "/api/auth/two-factor/recovery-codes", {"password": PASSWORD}, 409
        ),
        level=Level.signed_in,
        own=Own("a", "/api/auth/two-factor/recovery-codes", {"password": "not it at all"}),
    ),
    # --- API keys ---
    ("GET", "/api/api-keys"): _no_id(Attack("B's keys", "/api/api-keys", expect=200)),
    ("POST", "/api/api-keys"): _no_id(
        Attack("a key for B", "/api/api-keys", {"name": "Bob's second"}, 201),
        Attack("a key for A", "/api/api-keys", {"name": "x", "user_id": "{a_user}"}, 422),
        own=Own("a", "/api/api-keys", {"name": "forged"}),
    ),
    ("DELETE", "/api/api-keys/{key_id}"): _owned(
        Attack("A's key", "/api/api-keys/{a_key}"), own=Own("a", "/api/api-keys/{a_key}")
    ),
    # --- chats and messages ---
    ("GET", "/api/chats"): _no_id(
        Attack("B's chats", "/api/chats", expect=200),
        Attack("cursor at A's chat", "/api/chats?cursor=9999999999999999.{a_chat}", expect=200),
        Attack("B's archive", "/api/chats?archived=true", expect=200),
        Attack("A's folder", "/api/chats?folder_id={a_folder}"),
        Attack("A's tag", "/api/chats?tag=" + A_TAG, expect=200),
    ),
    ("POST", "/api/chats"): _no_id(
        Attack("a chat for B", "/api/chats", {"title": "Bob's second"}, 201),
        Attack("a chat for A", "/api/chats", {"title": "x", "user_id": "{a_user}"}, 422),
        Attack("A's chat id", "/api/chats", {"title": "x", "id": "{a_chat}"}, 422),
        Attack("in A's folder", "/api/chats", {"title": "x", "folder_id": "{a_folder}"}),
        own=Own("a", "/api/chats", {"title": "forged"}),
    ),
    ("GET", "/api/chats/search"): _no_id(
        Attack("A's words", "/api/chats/search?q=Quokka merger", expect=200),
        Attack("A's words as they are typed", "/api/chats/search?q=Quok", expect=200),
        Attack("A's tag", "/api/chats/search?q=tag:" + A_TAG, expect=200),
        Attack("A's folder", '/api/chats/search?q=folder:"Project Platypus" alice', expect=200),
        Attack(
            "cursor at A's chat",
            "/api/chats/search?q=alice&cursor=9999999999999999.{a_chat}",
            expect=200,
        ),
    ),
    ("DELETE", "/api/chats"): _no_id(
        Attack("all of B's chats, unconfirmed", "/api/chats", expect=400),
        own=Own("a", "/api/chats?confirm=true"),
    ),
    ("POST", "/api/chats/bulk"): _no_id(
        Attack("archive A's chat", "/api/chats/bulk", BULK_A, 404),
        Attack("delete A's chat", "/api/chats/bulk", {**BULK_A, "action": "delete"}, 404),
        Attack(
            "A's chat among B's",
            "/api/chats/bulk",
            {"chat_ids": ["{b_chat}", "{a_filed}"], "action": "delete"},
            404,
        ),
        Attack(
            "B's chat into A's folder",
            "/api/chats/bulk",
            {"chat_ids": ["{b_chat}"], "action": "move", "folder_id": "{a_folder}"},
            404,
        ),
        own=Own("a", "/api/chats/bulk", {"chat_ids": ["{a_chat}"], "action": "pin"}),
    ),
    ("PUT", "/api/chats/{chat_id}/tags"): _owned(
        Attack("tag A's chat", "/api/chats/{a_filed}/tags", {"tags": ["pwned"]}),
        Attack("untag A's chat", "/api/chats/{a_filed}/tags", {"tags": []}),
        own=Own("a", "/api/chats/{a_filed}/tags", {"tags": ["forged"]}),
    ),
    # --- folders and tags ---
    ("GET", "/api/folders"): _no_id(Attack("B's folders", "/api/folders", expect=200)),
    ("POST", "/api/folders"): _no_id(
        Attack("inside A's folder", "/api/folders", {"name": "x", "parent_id": "{a_folder}"}),
        Attack("B's own", "/api/folders", {"name": "Bob's second"}, 201),
        Attack("owned by A", "/api/folders", {"name": "x", "user_id": "{a_user}"}, 422),
        own=Own("a", "/api/folders", {"name": "forged"}),
    ),
    ("PATCH", "/api/folders/{folder_id}"): _owned(
        Attack("rename A's folder", "/api/folders/{a_folder}", {"name": "pwned"}),
        Attack("move A's folder", "/api/folders/{a_folder}", {"parent_id": None}),
        Attack("B's folder into A's", "/api/folders/{b_folder}", {"parent_id": "{a_folder}"}),
        own=Own("a", "/api/folders/{a_folder}", {"name": "forged"}),
    ),
    ("DELETE", "/api/folders/{folder_id}"): _owned(
        Attack("A's folder", "/api/folders/{a_folder}"),
        Attack("A's folder with its chats", "/api/folders/{a_top_folder}?chats=delete"),
        own=Own("a", "/api/folders/{a_folder}"),
    ),
    ("GET", "/api/tags"): _no_id(Attack("B's tags", "/api/tags", expect=200)),
    ("DELETE", "/api/tags/{tag_id}"): _owned(
        Attack("A's tag", "/api/tags/{a_tag}"), own=Own("a", "/api/tags/{a_tag}")
    ),
    # --- files: A's are A's to read, download, delete and re-index ---
    ("POST", "/api/files"): _no_id(
        Attack("upload B's own", "/api/files", B_FILE, 201),
        Attack("smuggle A's id", "/api/files?file_id={a_file}&user_id={a_user}", B_FILE, 201),
        own=Own("a", "/api/files", B_FILE),
    ),
    ("GET", "/api/files"): _no_id(
        Attack("B's files", "/api/files", expect=200),
        Attack("A's files by cursor", "/api/files?cursor={a_file}", expect=200),
    ),
    ("GET", "/api/files/search"): _no_id(
        Attack("B's own files", "/api/files/search?q=Marmoset+escrow", expect=200),
        Attack("A's file by id", "/api/files/search?q=Marmoset&file_id={a_file}", expect=200),
        Attack(
            "A's knowledge base by id",
            "/api/files/search?q=Marmoset&knowledge_id={a_knowledge}",
            expect=200,
        ),
    ),
    ("GET", "/api/files/{file_id}"): _owned(Attack("A's file", "/api/files/{a_file}")),
    ("GET", "/api/files/{file_id}/content"): _owned(
        Attack("A's file's bytes", "/api/files/{a_file}/content")
    ),
    ("DELETE", "/api/files/{file_id}"): _owned(
        Attack("A's file", "/api/files/{a_file}"), own=Own("a", "/api/files/{a_file}")
    ),
    ("POST", "/api/files/{file_id}/reindex"): _owned(
        Attack("A's file", "/api/files/{a_file}/reindex"),
        own=Own("a", "/api/files/{a_file}/reindex"),
    ),
    # --- knowledge bases: A's are A's (and A's grantees') to read and change ---
    ("GET", "/api/knowledge"): _no_id(
        Attack("B's knowledge bases", "/api/knowledge", expect=200),
        Attack("A's by cursor", "/api/knowledge?cursor={a_knowledge}", expect=200),
    ),
    ("POST", "/api/knowledge"): _no_id(
        Attack("B's own", "/api/knowledge", {"name": "Bob's second"}, 201),
        Attack("owned by A", "/api/knowledge", {"name": "x", "user_id": "{a_user}"}, 422),
        Attack("with A's id", "/api/knowledge", {"name": "x", "id": "{a_knowledge}"}, 422),
        own=Own("a", "/api/knowledge", {"name": "forged"}),
    ),
    ("GET", "/api/knowledge/{knowledge_id}"): _owned(Attack("A's knowledge base", KNOWLEDGE_A)),
    ("PATCH", "/api/knowledge/{knowledge_id}"): _owned(
        Attack("rename A's", KNOWLEDGE_A, {"name": "pwned"}),
        Attack("describe A's", KNOWLEDGE_A, {"description": "pwned"}),
        own=Own("a", KNOWLEDGE_A, {"name": "forged"}),
    ),
    ("DELETE", "/api/knowledge/{knowledge_id}"): _owned(
        Attack("A's knowledge base", KNOWLEDGE_A), own=Own("a", KNOWLEDGE_A)
    ),
    ("POST", "/api/knowledge/{knowledge_id}/files"): _owned(
        Attack("A's file into A's base", KNOWLEDGE_A + "/files", {"file_id": "{a_file}"}),
        Attack(
            "A's file into B's base", "/api/knowledge/{b_knowledge}/files", {"file_id": "{a_file}"}
        ),
        own=Own("a", KNOWLEDGE_A + "/files", {"file_id": "{a_file}"}),
    ),
    ("DELETE", "/api/knowledge/{knowledge_id}/files/{file_id}"): _owned(
        Attack("A's file out of A's base", KNOWLEDGE_A + "/files/{a_file}"),
        Attack("A's file via B's base", "/api/knowledge/{b_knowledge}/files/{a_file}"),
        own=Own("a", KNOWLEDGE_A + "/files/{a_file}"),
    ),
    ("PUT", "/api/knowledge/{knowledge_id}/grants"): _owned(
        Attack(
            "share A's base with B",
            KNOWLEDGE_A + "/grants",
            {"grants": [{"user_id": "{b_user}", "permission": "write"}]},
        ),
        Attack(
            "share A's base with B by address",
            KNOWLEDGE_A + "/grants",
            {"grants": [{"email": "bob@example.com", "permission": "write"}]},
        ),
        Attack("unshare A's base", KNOWLEDGE_A + "/grants", {"grants": []}),
        Attack(
            "B's base to A's group",
            "/api/knowledge/{b_knowledge}/grants",
            {"grants": [{"group_id": "{group}", "permission": "read"}]},
            400,
        ),
        own=Own("a", KNOWLEDGE_A + "/grants", {"grants": []}),
    ),
    # --- share links: A's are A's to make, list and revoke; a link is the only way in ---
    ("POST", "/api/chats/{chat_id}/shares"): _owned(
        Attack("share A's chat", "/api/chats/{a_chat}/shares", {"public": False}),
        Attack("share A's chat publicly", "/api/chats/{a_chat}/shares", {"public": True}),
        own=Own("a", "/api/chats/{a_chat}/shares", {"public": False}),
    ),
    ("GET", "/api/chats/{chat_id}/shares"): _owned(
        Attack("A's chat's links", "/api/chats/{a_chat}/shares")
    ),
    ("GET", "/api/shares"): _no_id(Attack("B's links", "/api/shares", expect=200)),
    ("GET", "/api/shares/options"): _no_id(
        Attack("what B may share", "/api/shares/options", expect=200)
    ),
    ("DELETE", "/api/shares/{share_id}"): _owned(
        Attack("revoke A's link", "/api/shares/{a_share}"), own=Own("a", "/api/shares/{a_share}")
    ),
    ("GET", "/api/shared/{token}"): Route(
        Level.public,
        Ids.OWNED,
        (
            Attack("A's share id as a link", "/api/shared/{a_share}"),
            Attack("A's revoked link", "/api/shared/{a_revoked_token}"),
            Attack("A's revoked link, as a visitor", "/api/shared/{a_revoked_token}", actor="anon"),
            Attack(
                "A's members-only link, as a visitor",
                "/api/shared/{a_share_token}",
                None,
                401,
                "anon",
            ),
        ),
    ),
    # --- export and import: only my own chats out; imported chats are always mine ---
    ("GET", "/api/chats/{chat_id}/export"): _owned(
        Attack("A's chat", "/api/chats/{a_chat}/export"),
        Attack("A's chat as Markdown", "/api/chats/{a_chat}/export?format=markdown"),
        Attack("A's filed chat as text", "/api/chats/{a_filed}/export?format=text"),
    ),
    ("GET", "/api/chats/export"): _no_id(
        Attack("B's chats", "/api/chats/export", expect=200),
        Attack("B's chats as Markdown", "/api/chats/export?format=markdown", expect=200),
    ),
    ("GET", "/api/export"): _no_id(Attack("B's archive", "/api/export", expect=200)),
    ("POST", "/api/chats/import"): _no_id(
        Attack("a file naming A's chat and messages", "/api/chats/import", IMPORT_A, 200),
        Attack("an Open WebUI chat of A's", "/api/chats/import", OPENWEBUI_A, 200),
        own=Own("a", "/api/chats/import", IMPORT_A),
    ),
    ("GET", "/api/chats/{chat_id}"): _owned(
        Attack("A's chat", "/api/chats/{a_chat}"),
        Attack("A's chat, whole tree", "/api/chats/{a_chat}?tree=true"),
    ),
    ("PATCH", "/api/chats/{chat_id}"): _owned(
        Attack("rename A's chat", "/api/chats/{a_chat}", {"title": "pwned"}),
        Attack("archive A's chat", "/api/chats/{a_chat}", {"archived": True}),
        Attack("A's reply as B's leaf", "/api/chats/{b_chat}", {"current_leaf_id": "{a_reply}"}),
        Attack("move A's chat", "/api/chats/{a_filed}", {"folder_id": None}),
        Attack("B's chat into A's folder", "/api/chats/{b_chat}", {"folder_id": "{a_folder}"}),
        own=Own("a", "/api/chats/{a_chat}", {"title": "forged"}),
    ),
    ("DELETE", "/api/chats/{chat_id}"): _owned(
        Attack("A's chat", "/api/chats/{a_chat}"), own=Own("a", "/api/chats/{a_chat}")
    ),
    ("POST", "/api/chats/{chat_id}/messages"): _owned(
        Attack("write in A's chat", "/api/chats/{a_chat}/messages", MSG),
        Attack(
            "answer under A's message",
            "/api/chats/{b_chat}/messages",
            {**MSG, "parent_id": "{a_msg}"},
        ),
        Attack(
            "regenerate A's message",
            "/api/chats/{b_chat}/messages",
            {"model": MODEL, "parent_id": "{a_msg}"},
        ),
        Attack(
            "A's preset as model",
            "/api/chats/{b_chat}/messages",
            {"content": "hi", "model": "preset:{a_preset}"},
        ),
        Attack(
            "A's preset among models",
            "/api/chats/{b_chat}/messages",
            {"content": "hi", "models": [MODEL, "preset:{a_preset}"]},
        ),
        Attack(
            "ask about A's file",
            "/api/chats/{b_chat}/messages",
            {**MSG, "file_ids": ["{a_file}"]},
        ),
        Attack(
            "ask about A's knowledge base",
            "/api/chats/{b_chat}/messages",
            {**MSG, "knowledge_ids": ["{a_knowledge}"]},
        ),
        own=Own("a", "/api/chats/{a_chat}/messages", {"content": "forged", "model": MODEL}),
    ),
    ("DELETE", "/api/chats/{chat_id}/messages/{message_id}"): _owned(
        Attack("A's message", MESSAGE),
        Attack("A's message via B's chat", "/api/chats/{b_chat}/messages/{a_msg}"),
        own=Own("a", MESSAGE),
    ),
    ("GET", "/api/chats/{chat_id}/messages/{message_id}/stream"): _owned(
        Attack("A's live reply", LIVE + "/stream"),
        Attack("A's finished reply", "/api/chats/{a_chat}/messages/{a_reply}/stream"),
        Attack("A's live reply via B's chat", "/api/chats/{b_chat}/messages/{a_live}/stream"),
    ),
    ("POST", "/api/chats/{chat_id}/messages/{message_id}/stop"): _owned(
        Attack("A's live reply", LIVE + "/stop"),
        Attack("A's live reply via B's chat", "/api/chats/{b_chat}/messages/{a_live}/stop"),
        own=Own("a", LIVE + "/stop"),
    ),
    # --- models and presets ---
    ("GET", "/api/models"): _no_id(Attack("B's models", "/api/models", expect=200)),
    ("GET", "/api/models/presets"): _no_id(
        Attack("B's presets", "/api/models/presets", expect=200),
        Attack("cursor at A's preset", "/api/models/presets?cursor={a_preset}", expect=200),
    ),
    ("POST", "/api/models/presets"): _no_id(
        Attack(
            "based on A's preset",
            "/api/models/presets",
            {"name": "x", "base_model": "preset:{a_preset}"},
            400,
        ),
        Attack(
            "shared with A's group",
            "/api/models/presets",
            {"name": "x", "base_model": MODEL, "visibility": "groups", "group_ids": ["{group}"]},
        ),
        Attack(
            "with A's knowledge base",
            "/api/models/presets",
            {"name": "x", "base_model": MODEL, "knowledge_ids": ["{a_knowledge}"]},
        ),
        Attack(
            "owned by A",
            "/api/models/presets",
            {"name": "x", "base_model": MODEL, "owner_id": "{a_user}"},
            422,
        ),
        own=Own("a", "/api/models/presets", {"name": "forged", "base_model": MODEL}),
    ),
    ("GET", "/api/models/presets/{preset_id}"): _owned(
        Attack("A's preset", "/api/models/presets/{a_preset}")
    ),
    ("PATCH", "/api/models/presets/{preset_id}"): _owned(
        Attack("A's preset", "/api/models/presets/{a_preset}", {"name": "pwned"}),
        Attack(
            "B's preset into A's group",
            "/api/models/presets/{b_preset}",
            {"visibility": "groups", "group_ids": ["{group}"]},
        ),
        Attack(
            "B's preset on A's preset",
            "/api/models/presets/{b_preset}",
            {"base_model": "preset:{a_preset}"},
            400,
        ),
        Attack(
            "B's preset with A's knowledge base",
            "/api/models/presets/{b_preset}",
            {"knowledge_ids": ["{a_knowledge}"]},
        ),
        own=Own("a", "/api/models/presets/{a_preset}", {"name": "forged"}),
    ),
    ("DELETE", "/api/models/presets/{preset_id}"): _owned(
        Attack("A's preset", "/api/models/presets/{a_preset}"),
        own=Own("a", "/api/models/presets/{a_preset}"),
    ),
    # --- OpenAI-compatible API (API keys) ---
    ("GET", "/v1/models"): _no_id(Attack("B's models", "/v1/models", expect=200, actor="b_key")),
    ("POST", "/v1/chat/completions"): _owned(
        Attack(
            "A's preset by key",
            "/v1/chat/completions",
            {**CHATTING, "model": "preset:{a_preset}"},
            actor="b_key",
        ),
        Attack(
            "A's preset by session",
            "/v1/chat/completions",
            {**CHATTING, "model": "preset:{a_preset}"},
        ),
        own=Own("a", "/v1/chat/completions", CHATTING),
    ),
    ("POST", "/v1/embeddings"): _no_id(
        Attack(
            "B's texts by key",
            "/v1/embeddings",
            {"model": "all-MiniLM-L6-v2", "input": ["hello", "world"]},
            expect=200,
            actor="b_key",
        ),
        Attack(
            "A's preset as the embedding model",
            "/v1/embeddings",
            {"model": "preset:{a_preset}", "input": "hello"},
            expect=404,
            actor="b_key",
        ),
        own=Own("a", "/v1/embeddings", {"model": "all-MiniLM-L6-v2", "input": "hello"}),
    ),
    # --- usage ---
    ("GET", "/api/usage"): _no_id(
        Attack("B's usage", "/api/usage", expect=200),
        Attack("B's usage, a long way back", "/api/usage?since=2020-01-01", expect=400),
    ),
    ("GET", "/api/usage/totals"): _admin("/api/usage/totals"),
    # --- admin: users, groups, connections, audit, settings ---
    ("GET", "/api/users"): _admin("/api/users"),
    ("GET", "/api/users/{user_id}"): _admin("/api/users/{a_user}"),
    ("PATCH", "/api/users/{user_id}"): Route(
        Level.admin,
        Ids.ADMIN,
        (
            Attack("make B admin", "/api/users/{b_user}", {"role": "admin"}, 403),
            Attack("disable A", "/api/users/{a_user}", {"disabled": True}, 403),
        ),
        Own("admin", "/api/users/{a_user}", {"disabled": True}),
    ),
    ("POST", "/api/users/{user_id}/approve"): _admin(
        "/api/users/{pending_user}/approve", own=Own("admin", "/api/users/{pending_user}/approve")
    ),
    ("DELETE", "/api/users/{user_id}"): _admin(
        "/api/users/{a_user}", own=Own("admin", "/api/users/{a_user}")
    ),
    ("GET", "/api/groups/mine"): _no_id(
        Attack("B's groups, never A's", "/api/groups/mine?limit=200", expect=200),
        Attack("cursor past A's group", "/api/groups/mine?cursor={group}", expect=200),
        Attack("B's groups by key", "/api/groups/mine", expect=200, actor="b_key"),
    ),
    ("GET", "/api/groups"): _admin("/api/groups"),
    ("POST", "/api/groups"): _admin(
        "/api/groups", {"name": "Bob's"}, own=Own("admin", "/api/groups", {"name": "forged"})
    ),
    ("GET", "/api/groups/{group_id}"): _admin("/api/groups/{group}"),
    ("PATCH", "/api/groups/{group_id}"): _admin(
        "/api/groups/{group}",
        {"name": "pwned"},
        own=Own("admin", "/api/groups/{group}", {"name": "forged"}),
    ),
    ("DELETE", "/api/groups/{group_id}"): _admin(
        "/api/groups/{group}", own=Own("admin", "/api/groups/{group}")
    ),
    ("PUT", "/api/groups/{group_id}/members/{user_id}"): _admin(
        "/api/groups/{group}/members/{b_user}",
        own=Own("admin", "/api/groups/{group}/members/{b_user}"),
    ),
    ("DELETE", "/api/groups/{group_id}/members/{user_id}"): _admin(
        "/api/groups/{group}/members/{a_user}",
        own=Own("admin", "/api/groups/{group}/members/{a_user}"),
    ),
    ("GET", "/api/connections"): _admin("/api/connections"),
    ("POST", "/api/connections"): _admin(
        "/api/connections", CONNECTION, own=Own("admin", "/api/connections", CONNECTION)
    ),
    ("GET", "/api/connections/{connection_id}"): _admin("/api/connections/{conn}"),
    ("PATCH", "/api/connections/{connection_id}"): _admin(
        "/api/connections/{conn}",
        {"base_url": "http://127.0.0.1:9/v1"},
        own=Own("admin", "/api/connections/{conn}", {"name": "forged"}),
    ),
    ("DELETE", "/api/connections/{connection_id}"): _admin(
        "/api/connections/{conn}", own=Own("admin", "/api/connections/{conn}")
    ),
    ("POST", "/api/connections/{connection_id}/test"): _admin(
        "/api/connections/{conn}/test", own=Own("admin", "/api/connections/{conn}/test")
    ),
    ("GET", "/api/audit"): _admin("/api/audit?actor_id={a_user}"),
    ("GET", "/api/settings"): _admin("/api/settings"),
    ("PATCH", "/api/settings"): _admin(
        "/api/settings",
        {"signup_mode": "open"},
        own=Own("admin", "/api/settings", {"signup_mode": "open"}),
    ),
    # --- API docs (signed-in; static, no data) ---
    ("GET", "/api/openapi.json"): _no_id(
        Attack("the schema", "/api/openapi.json", expect=200), level=Level.signed_in
    ),
    ("GET", "/api/docs"): _no_id(
        Attack("the page", "/api/docs", expect=200), level=Level.signed_in
    ),
    ("GET", "/api/docs/init.js"): _no_id(
        Attack("the script", "/api/docs/init.js", expect=200), level=Level.signed_in
    ),
    ("GET", "/api/docs/assets/{name}"): _no_id(
        Attack("a file", "/api/docs/assets/swagger-ui.css", expect=200),
        Attack("an id as file name", "/api/docs/assets/{a_chat}", expect=404),
        level=Level.signed_in,
    ),
}


# --- the app's own route table ---------------------------------------------------------------


@dataclass(frozen=True)
class AppRoute:
    method: str
    path: str
    route: APIRoute | None  # None for a route that is not a FastAPI route (mounts, ...)

    @property
    def key(self) -> tuple[str, str]:
        return (self.method, self.path)


def app_routes(app: Any) -> list[AppRoute]:
    """Every (method, path) the app answers. HEAD beside GET is the same route."""
    found: list[AppRoute] = []
    for context in iter_route_contexts(app.routes):
        original = context.original_route
        route = original if isinstance(original, APIRoute) else None
        methods = set(context.methods or {"ANY"})
        if "GET" in methods:
            methods.discard("HEAD")
        path = context.path or repr(original)
        found.extend(AppRoute(m, path, route) for m in sorted(methods))
    return found


def _calls(dependant: Dependant) -> Iterator[Any]:
    for sub in dependant.dependencies:
        yield sub.call
        yield from _calls(sub)


def level_of(route: APIRoute) -> Level:
    """Who may call the route, read from its dependencies (the auth guards it uses)."""
    calls = set(_calls(route.dependant))
    if deps.admin in calls:
        return Level.admin
    if deps.member in calls:
        return Level.member
    if deps.signed_in in calls:
        return Level.signed_in
    return Level.public


def body_model(route: APIRoute | None) -> Any:
    if route is None or route.body_field is None:
        return None
    return route.body_field.field_info.annotation


UNSAFE = frozenset({"POST", "PUT", "PATCH", "DELETE"})


def attack_cases() -> list[tuple[str, Attack]]:
    return [(f"{m} {p}", attack) for (m, p), entry in TABLE.items() for attack in entry.attacks]


def case_id(case: tuple[str, Attack]) -> str:
    route, attack = case
    return f"{route} [{attack.label or attack.actor}]"
