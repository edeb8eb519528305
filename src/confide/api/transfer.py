"""Export and import: my chats as files (`/api/chats/export`, `/api/chats/{id}/export`), my
whole account as one archive (`/api/export`), and chats from a file (`/api/chats/import`).

Downloads are attachments that are never cached. The import takes the file itself as the
body (up to CONFIDE_IMPORT_MAX_BYTES, larger than other requests may be).
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import StreamingResponse
from pydantic import Field

from confide.api.deps import Ctx, IdPath, Member
from confide.api.schemas import PublicModel
from confide.services import exports, imports
from confide.services.export_formats import Format
from confide.services.import_formats import KNOWN, MAX_CHATS, MAX_MESSAGES

router = APIRouter(tags=["export and import"])
IMPORT_PATH = "/api/chats/import"
FormatQuery = Annotated[
    Format,
    Query(
        alias="format",
        description="`json` (every branch, lossless: import it back), `markdown` or `text` "
        "(the current branch, for reading).",
    ),
]
DOWNLOAD: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "The file, as an attachment.",
        "content": {
            "application/json": {"schema": {"type": "object"}},
            "text/markdown": {"schema": {"type": "string"}},
            "text/plain": {"schema": {"type": "string"}},
            "application/zip": {"schema": {"type": "string", "format": "binary"}},
        },
    }
}
IMPORT_BODY = {
    "requestBody": {
        "required": True,
        "description": f"The export file itself, as JSON: {KNOWN}. At most {MAX_CHATS} chats "
        f"of at most {MAX_MESSAGES} messages each.",
        "content": {
            "application/json": {
                "schema": {"anyOf": [{"type": "object"}, {"type": "array", "maxItems": MAX_CHATS}]}
            }
        },
    }
}


def _download(file: exports.Download) -> StreamingResponse:
    disposition = f'attachment; filename="{file.filename}"'
    headers = {"content-disposition": disposition, "cache-control": "no-store"}
    return StreamingResponse(file.body, media_type=file.media_type, headers=headers)


@router.get("/api/chats/export", response_class=StreamingResponse, responses=DOWNLOAD)
async def export_chats(principal: Member, ctx: Ctx, fmt: FormatQuery = "json") -> Any:
    """All my chats, archived ones too: one JSON file, or a zip of one Markdown or text file
    per chat. Written as it is read, so any number of chats can be exported."""
    return _download(await exports.export_chats(principal, ctx, fmt))


@router.get("/api/chats/{chat_id}/export", response_class=StreamingResponse, responses=DOWNLOAD)
async def export_chat(
    chat_id: IdPath, principal: Member, ctx: Ctx, fmt: FormatQuery = "json"
) -> Any:
    """One of my chats as a file."""
    return _download(await exports.export_chat(principal, ctx, chat_id, fmt))


@router.get("/api/export", response_class=StreamingResponse, responses=DOWNLOAD)
async def export_account(principal: Member, ctx: Ctx) -> Any:
    """Everything of mine as one zip: `chats.json` (every chat, importable), `presets.json`,
    `settings.json` (account, folders, tags) and a `README.txt`. The files are not
    encrypted: keep them safe."""
    return _download(await exports.export_account(principal, ctx))


class ChatResultPublic(PublicModel):
    index: int = Field(description="The chat's place in the file, from 0.")
    title: str
    status: Literal["imported", "skipped", "failed"] = Field(
        description="`skipped`: imported before (or already one of my chats)."
    )
    chat_id: str | None = Field(description="The chat here (imported or skipped).")
    error: str | None = Field(description="Why it failed: a sentence for a person.")


class ImportPublic(PublicModel):
    format: Literal["confide", "chatgpt", "openwebui"]
    imported: int
    skipped: int
    failed: int
    results: list[ChatResultPublic]


@router.post(IMPORT_PATH, response_model=ImportPublic, openapi_extra=IMPORT_BODY)
async def import_chats(request: Request, principal: Member, ctx: Ctx) -> ImportPublic:
    """Import chats from an export file: Confide's own JSON, ChatGPT's `conversations.json`,
    or Open WebUI's chat export (one chat or "export all"). Each chat is imported whole or
    not at all and reported on its own; importing a file again skips what it imported."""
    report = await imports.import_chats(principal, ctx, await request.body())
    return ImportPublic(
        format=report.format,
        imported=report.count("imported"),
        skipped=report.count("skipped"),
        failed=report.count("failed"),
        results=[ChatResultPublic.model_validate(r) for r in report.results],
    )
