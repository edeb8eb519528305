"""Re-embedding: after the admin changes the embedder, give every ready file vectors of the
new one, in the background, one file at a time.

The file's passages are opened and embedded again (no parsing: their text, with the line of
headings they were embedded with, is stored); the new vectors replace the old in one
transaction, under a claim like ingestion's, so a file deleted or re-indexed meanwhile is left
alone. Until then the file stays ready and is found by its words.
"""

from __future__ import annotations

import json
import logging
from datetime import datetime
from typing import TYPE_CHECKING

from confide.db.tables import Chunk
from confide.rag.chunking import PATH_SEPARATOR
from confide.services import embedders
from confide.services.context import Context
from confide.services.ingest import EMBED_BATCH, lease, vector_blocks
from confide.store import files, keys
from confide.store.keys import UserCipher

if TYPE_CHECKING:
    import numpy as np

    from confide.rag.embedder import Embedder

log = logging.getLogger(__name__)


async def reembed_next(ctx: Context) -> bool:
    """Re-embed one file of another embedder than the current one; False when none is left
    (or the current embedder cannot be used now: the next wake-up tries again)."""
    try:
        embedder = await embedders.current(ctx)
    except embedders.EmbedderUnavailable as exc:
        log.warning("files cannot be re-embedded now: %s", exc)
        return False
    async with ctx.db.write() as session:
        row = await files.claim_reembed(session, embedder.name, stale_after=lease(ctx))
        if row is None:
            return False
        cipher = await keys.cipher_for(session, ctx.sealer, row.user_id)
        chunks = await files.chunks_of(session, row.id)
    assert row.claimed_at is not None  # noqa: S101 -- claim_reembed sets it
    job = _Job(ctx, embedder, row.id, row.claimed_at)
    try:
        await job.run(cipher, [embedded_text(cipher, chunk) for chunk in chunks])
    except _Lost:
        log.info("file %s changed while it was re-embedded; left as it is", row.id)
    except BaseException:
        async with ctx.db.write() as session:
            await files.release_reembed(session, row.id, job.claim)
        raise
    return True


class _Lost(Exception):
    """The file was deleted, re-queued or taken over while it was re-embedded."""


class _Job:
    def __init__(self, ctx: Context, embedder: Embedder, file_id: str, claim: datetime) -> None:
        self.ctx, self.embedder, self.file_id, self.claim = ctx, embedder, file_id, claim

    async def run(self, cipher: UserCipher, texts: list[str]) -> None:
        vectors = await self._embed(texts)
        blocks = vector_blocks(cipher, self.file_id, self.embedder.name, vectors)
        async with self.ctx.db.write() as session:
            name = self.embedder.name
            if not await files.replace_vectors(session, self.file_id, self.claim, name, blocks):
                raise _Lost

    async def _embed(self, texts: list[str]) -> np.ndarray:
        """The passages' vectors, renewing the claim after each batch."""
        import numpy as np

        parts = [np.zeros((0, self.embedder.dimensions), dtype=np.float32)]
        for start in range(0, len(texts), EMBED_BATCH):
            parts.append(await self.embedder.embed(texts[start : start + EMBED_BATCH]))
            async with self.ctx.db.write() as session:
                renewed = await files.renew_reembed(session, self.file_id, self.claim)
            if renewed is None:
                raise _Lost
            self.claim = renewed
        return np.concatenate(parts)


def embedded_text(cipher: UserCipher, chunk: Chunk) -> str:
    """The text a passage was embedded as: its heading line (stored since re-embedding
    existed; rebuilt from its headings before), then its body."""
    body = json.loads(cipher.open("chunks", "body", f"{chunk.file_id}/{chunk.ordinal}", chunk.body))
    context = body.get("context", PATH_SEPARATOR.join(body["headings"]))
    return f"{context}\n\n{body['text']}" if context else str(body["text"])
