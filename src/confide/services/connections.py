"""Admin use-cases over model connections, and turning a connection into a backend to call.

A connection's API key is write-only: sealed when set, opened only to build the Endpoint that
talks to that connection (whose adapter never follows redirects, so the key reaches no other
host), and never returned or logged. Connections may point at private or loopback hosts:
Ollama on localhost is the normal case, and only admins create them.
"""

from __future__ import annotations

import asyncio
import ipaddress
import re
from dataclasses import dataclass, field
from urllib.parse import urlsplit, urlunsplit

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from confide.db.engine import changed as mark_changed
from confide.db.tables import Connection
from confide.errors import Conflict, NotFound
from confide.providers import registry
from confide.providers.base import MESSAGES, ChatModel, ErrorKind, ProviderError
from confide.providers.endpoint import Endpoint
from confide.services.audit import record
from confide.services.context import Context
from confide.services.listings import Listing, ListingKey
from confide.store import connections
from confide.store.access import Principal, require_admin
from confide.store.keys import UserCipher

MAX_URL = 500
PREFIX_TAKEN = "Another connection already uses this model prefix."
# fields a PATCH sets as given (the key and the prefix have their own rules)
PLAIN_FIELDS = (
    "kind",
    "name",
    "base_url",
    "enabled",
    "model_allowlist",
    "connect_timeout",
    "read_timeout",
)
TEST_DEADLINE = 30.0  # seconds "test connection" waits at most
HOSTNAME = re.compile(
    r"^(?=.{1,253}$)[a-z0-9_]([a-z0-9_-]{0,62})(\.[a-z0-9_]([a-z0-9_-]{0,62}))*\.?$"
)


@dataclass(frozen=True)
class ConnectionSpec:
    kind: str
    name: str
    base_url: str
    api_key: str | None = None
    model_prefix: str | None = None
    enabled: bool = True
    model_allowlist: list[str] = field(default_factory=list)
    connect_timeout: float = 5.0
    read_timeout: float = 120.0


@dataclass(frozen=True)
class ConnectionChanges:
    """A partial update: None leaves a field as it is; `clear_*` removes an optional one."""

    kind: str | None = None
    name: str | None = None
    base_url: str | None = None
    api_key: str | None = None
    clear_api_key: bool = False
    model_prefix: str | None = None
    clear_model_prefix: bool = False
    enabled: bool | None = None
    model_allowlist: list[str] | None = None
    connect_timeout: float | None = None
    read_timeout: float | None = None


@dataclass(frozen=True)
class ProbeResult:
    ok: bool
    model_count: int
    error: str | None


# --- validation (used by the API schemas; raise ValueError with a message for a person) -----


def clean_base_url(value: str) -> str:
    """An http(s) URL with a host and nothing that could smuggle a request elsewhere: no
    credentials, query, fragment, backslash, whitespace or control characters."""
    if len(value) > MAX_URL:
        raise ValueError(f"The URL can be at most {MAX_URL} characters.")
    if any(not (0x21 <= ord(c) <= 0x7E) or c == "\\" for c in value):
        raise ValueError(
            "The URL cannot contain spaces, control or non-ASCII characters, or backslashes "
            "(write international host names in punycode)."
        )
    parts = urlsplit(value)
    if parts.scheme.lower() not in ("http", "https"):
        raise ValueError("The URL must start with http:// or https://.")
    if "@" in parts.netloc:
        raise ValueError("Put credentials in the API key, not in the URL.")
    if "?" in value or "#" in value:
        raise ValueError("The URL cannot have a query (?…) or a fragment (#…).")
    host = _checked_host(parts.netloc, parts.hostname)
    netloc = f"[{host}]" if ":" in host else host
    port = _checked_port(parts.netloc)
    if port is not None:
        netloc += f":{port}"
    return urlunsplit((parts.scheme.lower(), netloc, parts.path.rstrip("/"), "", ""))


def _checked_host(netloc: str, hostname: str | None) -> str:
    if not hostname or "%" in netloc:
        raise ValueError("The URL needs a host name or address.")
    try:
        return str(ipaddress.ip_address(hostname))
    except ValueError:
        pass
    if not HOSTNAME.match(hostname):
        raise ValueError("The URL's host is not a valid host name.")
    return hostname


def _checked_port(netloc: str) -> int | None:
    try:
        port = urlsplit(f"//{netloc}").port
    except ValueError:
        port = 0
    if port == 0:
        raise ValueError("The URL's port is not a number from 1 to 65535.")
    return port


def clean_secret(value: str) -> str:
    """An API key: printable ASCII without spaces (it goes into an HTTP header)."""
    if not value or any(not (0x21 <= ord(c) <= 0x7E) for c in value):
        raise ValueError("The API key must be printable ASCII without spaces.")
    return value


def clean_model_ids(values: list[str]) -> list[str]:
    """Model ids for an allow-list: no control characters, no duplicates, order kept."""
    for v in values:
        if not v.strip() or any(ord(c) < 0x20 or ord(c) == 0x7F for c in v):
            raise ValueError("Model ids cannot be empty or contain control characters.")
    return list(dict.fromkeys(values))


# --- admin use-cases -------------------------------------------------------------------------


async def create(principal: Principal, ctx: Context, spec: ConnectionSpec) -> Connection:
    require_admin(principal)
    try:
        async with ctx.db.write() as session:
            row = await connections.create(
                session,
                await connections.cipher(session, ctx.sealer),
                kind=spec.kind,
                name=spec.name,
                base_url=spec.base_url,
                api_key=spec.api_key,
                model_prefix=spec.model_prefix,
                enabled=spec.enabled,
                model_allowlist=spec.model_allowlist,
                connect_timeout=spec.connect_timeout,
                read_timeout=spec.read_timeout,
            )
            await record(
                session,
                principal,
                "admin.connection_created",
                target_type="connection",
                target_id=row.id,
                kind=row.kind,
                api_key_set=row.api_key is not None,
            )
    except IntegrityError:
        raise Conflict(PREFIX_TAKEN) from None
    return row


async def page(
    principal: Principal, ctx: Context, *, after: str | None, limit: int
) -> list[Connection]:
    require_admin(principal)
    async with ctx.db.read() as session:
        return await connections.page(session, after=after, limit=limit)


async def get(principal: Principal, ctx: Context, connection_id: str) -> Connection:
    require_admin(principal)
    async with ctx.db.read() as session:
        return await _existing(session, connection_id)


async def update(
    principal: Principal, ctx: Context, connection_id: str, changes: ConnectionChanges
) -> Connection:
    require_admin(principal)
    try:
        async with ctx.db.write() as session:
            row = await _existing(session, connection_id)
            fields = await _apply(session, ctx, row, changes)
            await session.flush()
            if fields:
                mark_changed(session, connections.TOPIC)
                await record(
                    session,
                    principal,
                    "admin.connection_updated",
                    target_type="connection",
                    target_id=row.id,
                    changed=fields,
                )
    except IntegrityError:
        raise Conflict(PREFIX_TAKEN) from None
    ctx.listings.forget(connection_id)
    return row


async def _apply(
    session: AsyncSession, ctx: Context, row: Connection, changes: ConnectionChanges
) -> list[str]:
    """Apply the changes to the row; the names of the fields that changed (never values)."""
    changed: list[str] = []
    for name in PLAIN_FIELDS:
        value = getattr(changes, name)
        if value is not None and value != getattr(row, name):
            setattr(row, name, value)
            changed.append(name)
    prefix = None if changes.clear_model_prefix else changes.model_prefix or row.model_prefix
    if prefix != row.model_prefix:
        row.model_prefix = prefix
        changed.append("model_prefix")
    if changes.api_key is not None or (changes.clear_api_key and row.api_key is not None):
        connections.seal_key(await connections.cipher(session, ctx.sealer), row, changes.api_key)
        changed.append("api_key")
    return changed


async def delete(principal: Principal, ctx: Context, connection_id: str) -> None:
    require_admin(principal)
    async with ctx.db.write() as session:
        row = await _existing(session, connection_id)
        await connections.remove(session, row.id)
        await record(
            session,
            principal,
            "admin.connection_deleted",
            target_type="connection",
            target_id=connection_id,
        )
    ctx.listings.forget(connection_id)


async def probe(principal: Principal, ctx: Context, connection_id: str) -> ProbeResult:
    """List the connection's models now (bypassing the cache, then refreshing it)."""
    require_admin(principal)
    async with ctx.db.read() as session:
        row = await _existing(session, connection_id)
        box = await key_cipher(session, ctx, [row])
    deadline = min(row.connect_timeout + row.read_timeout, TEST_DEADLINE)
    listing = await list_upstream(backend(ctx, row, box), deadline)
    ctx.listings.put(listing_key(row), listing)
    ctx.resolved.invalidate()  # what its model ids resolve to may have changed with the listing
    return ProbeResult(listing.ok, len(listing.models), listing.error)


async def _existing(session: AsyncSession, connection_id: str) -> Connection:
    row = await connections.get(session, connection_id)
    if row is None:
        raise NotFound("Connection not found.")
    return row


# --- from a connection to a backend (used by services.models) ------------------------------


async def key_cipher(
    session: AsyncSession, ctx: Context, rows: list[Connection]
) -> UserCipher | None:
    """The cipher that opens these connections' keys; None when none of them has a key."""
    if all(row.api_key is None for row in rows):
        return None
    return await connections.cipher(session, ctx.sealer)


def backend(ctx: Context, row: Connection, box: UserCipher | None) -> ChatModel:
    """The adapter for one connection; the key is opened here, for this endpoint only."""
    api_key = connections.open_key(box, row) if box is not None else None
    endpoint = Endpoint(
        base_url=row.base_url,
        api_key=api_key,
        connect_timeout=row.connect_timeout,
        read_timeout=row.read_timeout,
    )
    return registry.build(row.kind, endpoint, ctx.http)


def listing_key(row: Connection) -> ListingKey:
    config = (row.kind, row.base_url, row.api_key, row.connect_timeout, row.read_timeout)
    return ListingKey(row.id, config)


async def list_upstream(model: ChatModel, deadline: float) -> Listing:
    """The backend's models, or the reason it could not list them within `deadline` seconds."""
    try:
        async with asyncio.timeout(deadline):
            models = await model.list_models()
    except ProviderError as exc:
        return Listing(error_kind=exc.kind, error=exc.message)
    except TimeoutError:
        return Listing(error_kind=ErrorKind.timeout, error=MESSAGES[ErrorKind.timeout])
    return Listing(models=tuple(models))
