"""Write batches: replies' text while they stream, token usage, sessions' and keys' last use.

Progress is written every 0.25 s (so never more than 0.5 s stale), all streaming replies in
one statement; usage is summed in memory and written once a second (and on shutdown). A crash
can lose at most that last second of usage counts; a reply's final text is always written on
its own.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from confide.db.engine import Database
from confide.runtime.batcher import Batcher
from confide.store import api_keys, chats, sessions, usage
from confide.store.keys import UserCipher

PROGRESS_EVERY = 0.25
USAGE_EVERY = 1.0
TOUCH_EVERY = 2.0

ProgressBatch = Batcher[str, tuple[UserCipher, str]]


@dataclass(frozen=True)
class UsageKey:
    user_id: str
    api_key_id: str
    model: str
    day: date


@dataclass(frozen=True)
class UsageCount:
    requests: int
    prompt_tokens: int
    completion_tokens: int

    def __add__(self, other: UsageCount) -> UsageCount:
        return UsageCount(
            self.requests + other.requests,
            self.prompt_tokens + other.prompt_tokens,
            self.completion_tokens + other.completion_tokens,
        )


UsageBatch = Batcher[UsageKey, UsageCount]


TouchBatch = Batcher[tuple[str, str], datetime]  # ("session" | "api_key", id) -> last use


def touch_batch(db: Database) -> TouchBatch:
    """Last-seen times of sessions and API keys: many requests, one write every 2 s."""

    async def flush(batch: dict[tuple[str, str], datetime]) -> None:
        async with db.write() as session:
            for (kind, row_id), when in batch.items():
                touch = sessions.touch if kind == "session" else api_keys.touch
                await touch(session, row_id, when)

    return Batcher("touch", flush, TOUCH_EVERY)


def progress_batch(db: Database) -> ProgressBatch:
    async def flush(batch: dict[str, tuple[UserCipher, str]]) -> None:
        items = [(cipher, message_id, text) for message_id, (cipher, text) in batch.items()]
        async with db.write() as session:
            await chats.save_progress_many(session, items)

    return Batcher("progress", flush, PROGRESS_EVERY)


def usage_batch(db: Database) -> UsageBatch:
    async def flush(batch: dict[UsageKey, UsageCount]) -> None:
        async with db.write() as session:
            for key, count in batch.items():
                await usage.add(
                    session,
                    user_id=key.user_id,
                    api_key_id=key.api_key_id,
                    model=key.model,
                    day=key.day,
                    requests=count.requests,
                    prompt_tokens=count.prompt_tokens,
                    completion_tokens=count.completion_tokens,
                )

    return Batcher("usage", flush, USAGE_EVERY, merge=lambda a, b: a + b)
