"""`create_app(settings)`: the ASGI application. Nothing here runs at import time."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from fastapi import FastAPI
from starlette.middleware.cors import CORSMiddleware

from confide import __version__
from confide.api import (
    api_keys,
    audit,
    auth,
    avatars,
    chats,
    connections,
    docs,
    errors,
    files,
    folders,
    groups,
    health,
    home,
    instance,
    knowledge,
    metrics,
    models,
    openai,
    presets,
    shares,
    transfer,
    usage,
    users,
)
from confide.api.middleware import (
    BodyLimitMiddleware,
    RequestGuardMiddleware,
    RequestIdMiddleware,
    SecurityHeadersMiddleware,
)
from confide.db import migrate
from confide.db.engine import Database
from confide.errors import StartError
from confide.providers.http import HttpPool
from confide.providers.local import LocalModels
from confide.rag.lazy import BUILT_IN_NAME, LazyEmbedder
from confide.rag.vectors import VectorCache
from confide.runtime.broker import Broker, MemoryBroker
from confide.runtime.bus import RESYNC, RedisBus
from confide.runtime.cache import RecentCache
from confide.runtime.drain import Drain
from confide.runtime.generation import GenerationRunner
from confide.runtime.redis_broker import RedisBroker
from confide.security.passwords import PasswordHasher
from confide.security.ratelimit import MemoryRateLimiter, RateLimiter, RedisRateLimiter
from confide.security.safe_http import SafeFetcher
from confide.security.sealing import KeyRing, Sealer
from confide.security.transit import Transit
from confide.services import avatars as avatar_service
from confide.services import ingest, replicas, sessions
from confide.services import models as model_service
from confide.services import postings as posting_service
from confide.services import search as search_service
from confide.services.batches import progress_batch, touch_batch, usage_batch
from confide.services.context import Context
from confide.services.listings import ListingCache
from confide.services.live_settings import LIVE_SECONDS
from confide.services.models import ResolvedModel
from confide.settings import Settings
from confide.store import connections as connection_store
from confide.store import instance_settings
from confide.store.access import AUTH, Principal
from confide.store.blobs import blob_store

if TYPE_CHECKING:
    from redis.asyncio import Redis

    from confide.rag.embedder import Embedder

log = logging.getLogger("confide")
# Commits that change what replicas cache: told to every replica through Redis.
SHARED_TOPICS = (AUTH, connection_store.TOPIC, instance_settings.TOPIC)
WARM_AFTER_SECONDS = 2.0
MERGE_CHECK_SECONDS = 10.0
ROUTERS = (
    home.router,
    health.router,
    metrics.router,
    auth.router,
    avatars.router,
    api_keys.router,
    transfer.router,  # before chats.router: `export` is not a chat id
    chats.router,
    folders.router,
    folders.tags_router,
    files.router,
    knowledge.router,
    shares.router,
    users.router,
    groups.mine_router,  # before groups.router: `mine` is not a group id
    groups.router,
    connections.router,
    models.router,
    presets.router,
    usage.router,
    openai.router,
    audit.router,
    instance.router,
    docs.router,
)


async def build_context(settings: Settings) -> Context:
    """Open the database (migrating it to the current schema), load the master key, and with
    `CONFIDE_REDIS_URL` join the other replicas through Redis."""
    _prepare_data_dir(settings)
    ring = KeyRing.load_or_create(settings.key_file)
    db = Database(settings.sqlalchemy_url)
    await migrate.upgrade(db)
    replica = secrets.token_hex(8)
    redis = await _connect_redis(settings, replica)
    broker: Broker = MemoryBroker()
    limiter: RateLimiter = MemoryRateLimiter()
    bus = None
    if redis is not None:
        transit = Transit(ring)
        broker = RedisBroker(redis, transit)
        limiter = RedisRateLimiter(redis, transit)
        bus = RedisBus(redis, replica)
    listings = ListingCache()
    principals: RecentCache[Principal] = RecentCache(sessions.PRINCIPAL_TTL_SECONDS)
    db.on_commit(AUTH, principals.invalidate)
    resolved: RecentCache[ResolvedModel] = RecentCache(model_service.RESOLVED_TTL_SECONDS)
    db.on_commit(connection_store.TOPIC, resolved.invalidate)
    db.on_commit(connection_store.TOPIC, listings.clear)
    live: RecentCache[dict[str, Any]] = RecentCache(LIVE_SECONDS)
    db.on_commit(instance_settings.TOPIC, live.invalidate)
    runner = GenerationRunner(broker)
    if bus is not None:
        _join(bus, db, runner)
    return Context(
        settings=settings,
        db=db,
        sealer=Sealer(ring),
        hasher=PasswordHasher(settings.password_hash_memory_kib),
        limiter=limiter,
        http=HttpPool(),
        local=LocalModels(_models_dir(settings)),
        listings=listings,
        broker=broker,
        runner=runner,
        progress=progress_batch(db),
        usage_log=usage_batch(db),
        touches=touch_batch(db),
        principals=principals,
        resolved=resolved,
        blobs=blob_store(settings),
        embedder=LazyEmbedder(_built_in_embedder, BUILT_IN_NAME),
        ingest_wakeup=asyncio.Event(),
        vectors=VectorCache(),
        fetcher=SafeFetcher(allow=settings.allowed_addresses()),
        live_settings=live,
        replica=replica,
        bus=bus,
        redis=redis,
    )


async def _connect_redis(settings: Settings, replica: str) -> Redis | None:
    """The Redis client (checked now, so a wrong URL stops the start), or None without one.
    Its connections are named after the replica (`CLIENT LIST` shows who is who)."""
    if not settings.redis_url:
        return None
    from redis.asyncio import Redis  # imported only when configured: a faster plain start
    from redis.exceptions import RedisError

    redis = Redis.from_url(
        settings.redis_url,
        decode_responses=True,
        health_check_interval=30,
        client_name=f"confide-{replica}",
    )
    try:
        await redis.ping()
    except (RedisError, OSError) as exc:
        await redis.aclose()
        raise StartError(f"CONFIDE_REDIS_URL: cannot reach Redis ({exc})") from None
    return redis


def _join(bus: RedisBus, db: Database, runner: GenerationRunner) -> None:
    """Share with the other replicas: changes committed here (they forget what they cached),
    and stop requests for generations running elsewhere."""
    db.on_any_commit(lambda topic: bus.send("changed", topic))
    bus.on("changed", db.tell)
    bus.on("stop", runner.stop)
    bus.on(RESYNC, lambda _: _tell_all(db))
    bus.start()


def _tell_all(db: Database) -> None:
    """After missing messages from the other replicas: forget everything shared."""
    for topic in SHARED_TOPICS:
        db.tell(topic)


async def close_context(ctx: Context) -> None:
    await ctx.runner.shutdown()
    await ctx.broker.aclose()
    if ctx.bus is not None:
        await ctx.bus.close()
    await ctx.progress.close()
    await ctx.usage_log.close()
    await ctx.touches.close()
    await ctx.http.close()
    await ctx.fetcher.close()
    await ctx.db.dispose()
    if ctx.redis is not None:
        await ctx.redis.aclose()


def _models_dir(settings: Settings) -> Path:
    """`<data dir>/models`: drop a `.gguf` file here and it is a local model (loaded lazily)."""
    path = settings.data_dir / "models"
    path.mkdir(mode=0o700, exist_ok=True)
    return path


def _prepare_data_dir(settings: Settings) -> None:
    """Create the data dir private to this user (0700); warn when an existing one is not."""
    if not settings.data_dir.exists():
        settings.data_dir.mkdir(parents=True, mode=0o700)
    elif settings.data_dir.stat().st_mode & 0o077:
        log.warning(
            "data dir %s is readable by other users; run chmod 700 on it", settings.data_dir
        )


async def _warm_later(hasher: PasswordHasher) -> None:
    """Make the dummy password hash once the server is up, not on the way (a faster start);
    a login that needs it sooner makes it itself."""
    await asyncio.sleep(WARM_AFTER_SECONDS)
    await asyncio.to_thread(hasher.warm)


async def _backfill_later(ctx: Context) -> None:
    """Index chats written before the search index existed, once the server is up."""
    await asyncio.sleep(WARM_AFTER_SECONDS)
    try:
        done = await search_service.backfill(ctx)
    except Exception:
        log.exception("indexing older chats for search failed; it is retried at the next start")
        return
    if done:
        log.info("indexed %d older chats for search", done)


def _built_in_embedder() -> Embedder:
    # Imported here on purpose: numpy and the model code load only when a file is first
    # ingested (idle memory and start time stay as they were).
    from confide.rag.embedder import MiniLMEmbedder

    return MiniLMEmbedder()


async def _merge_postings(ctx: Context) -> None:
    """Fold fresh search postings into compressed blocks whenever enough have piled up."""
    while True:
        await asyncio.sleep(MERGE_CHECK_SECONDS)
        try:
            await posting_service.merge_if_needed(ctx)
        except Exception:
            log.exception("merging search postings failed; it is tried again shortly")


def create_app(settings: Settings, context: Context | None = None) -> FastAPI:
    """The app. Pass `context` to reuse one (tests); otherwise the lifespan builds it."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if context is not None:
            yield
            return
        app.state.ctx = await build_context(settings)
        await replicas.arrive(app.state.ctx)
        later = [
            asyncio.create_task(replicas.beat_forever(app.state.ctx)),
            asyncio.create_task(_warm_later(app.state.ctx.hasher)),
            asyncio.create_task(_backfill_later(app.state.ctx)),
            asyncio.create_task(_merge_postings(app.state.ctx)),
            asyncio.create_task(ingest.work_forever(app.state.ctx)),
        ]
        try:
            yield
        finally:
            for task in later:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
            await app.state.ctx.runner.shutdown()  # its replies end as `interrupted`
            await replicas.leave(app.state.ctx)
            await close_context(app.state.ctx)

    app = FastAPI(
        title="Confide",
        version=__version__,
        lifespan=lifespan,
        openapi_url=None,
        docs_url=None,
        redoc_url=None,
        responses=errors.RESPONSES,
    )
    if context is not None:
        app.state.ctx = context
    app.state.drain = Drain()  # set on SIGTERM by `confide serve` (confide.server)
    for router in ROUTERS:
        if router is docs.router and not settings.api_docs:
            continue
        app.include_router(router)
    errors.install(app)
    _add_middleware(app, settings)
    metrics.install(app, settings)  # outermost: it counts what the other middleware refuses
    return app


def _add_middleware(app: FastAPI, settings: Settings) -> None:
    """Added innermost first: the request id wraps everything, so every answer carries it."""
    app.add_middleware(errors.UnexpectedErrorMiddleware)
    app.add_middleware(
        RequestGuardMiddleware, settings=settings, raw_bodies=frozenset({avatars.AVATAR_PATH})
    )
    if settings.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.cors_origins,
            allow_credentials=True,
            allow_methods=["GET", "POST", "PUT", "PATCH", "DELETE"],
            allow_headers=["authorization", "content-type", "x-confide-csrf"],
        )
    app.add_middleware(
        BodyLimitMiddleware,
        max_bytes=settings.max_body_bytes,
        larger={
            transfer.IMPORT_PATH: settings.import_max_bytes,
            avatars.AVATAR_PATH: avatar_service.MAX_BYTES,
            files.FILES_PATH: settings.file_max_bytes + files.MULTIPART_FRAMING,
        },
    )
    app.add_middleware(SecurityHeadersMiddleware, settings=settings)
    app.add_middleware(RequestIdMiddleware)
