"""What every use-case needs from the running app, built once in the app's lifespan."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from confide.db.engine import Database
from confide.providers.http import HttpPool
from confide.providers.local import LocalModels
from confide.rag.vectors import VectorCache
from confide.runtime.broker import Broker
from confide.runtime.bus import RedisBus
from confide.runtime.cache import RecentCache
from confide.runtime.generation import GenerationRunner
from confide.security.passwords import PasswordHasher
from confide.security.ratelimit import RateLimiter
from confide.security.safe_http import SafeFetcher
from confide.security.sealing import Sealer
from confide.services.batches import ProgressBatch, TouchBatch, UsageBatch
from confide.services.listings import ListingCache
from confide.settings import Settings
from confide.store.access import Principal
from confide.store.blobs import BlobStore

if TYPE_CHECKING:
    from redis.asyncio import Redis

    from confide.rag.embedder import Embedder
    from confide.services.models import ResolvedModel


@dataclass(frozen=True)
class Context:
    settings: Settings
    db: Database
    sealer: Sealer
    hasher: PasswordHasher
    limiter: RateLimiter
    http: HttpPool
    local: LocalModels
    listings: ListingCache  # upstream model listings, briefly
    broker: Broker
    runner: GenerationRunner
    progress: ProgressBatch  # streaming replies' text, written in batches
    usage_log: UsageBatch  # token counts, summed and written in batches
    touches: TouchBatch  # sessions' and API keys' last use, written in batches
    principals: RecentCache[Principal]  # who is behind a credential, checked a moment ago
    resolved: RecentCache[ResolvedModel]  # what a base model id resolved to, a moment ago
    blobs: BlobStore  # uploaded files' sealed bytes
    embedder: Embedder  # loads its model on first use
    ingest_wakeup: asyncio.Event  # set when a file is queued for ingestion
    vectors: VectorCache  # opened embedding vectors of recently searched files
    fetcher: SafeFetcher  # web pages users attach, fetched through the SSRF guard
    live_settings: RecentCache[dict[str, Any]]  # instance settings searches read (a moment)
    replica: str  # this process's id among the replicas (see store/replicas.py)
    bus: RedisBus | None = None  # the replicas' control channel, with CONFIDE_REDIS_URL
    redis: Redis | None = None  # with CONFIDE_REDIS_URL
