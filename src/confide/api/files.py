"""`/api/files`: upload, list, read, download, delete and re-index my files.

An upload is `multipart/form-data` with one `file` field; it is sealed as it arrives and
queued for ingestion (`status`: pending → processing → ready | failed, with `progress`).
Downloads are attachments with the type read from the bytes, `nosniff` and a CSP that lets
nothing run, so a file can never act as a page of this site.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Query, Request
from fastapi.responses import StreamingResponse
from pydantic import Field

from confide.api.deps import Ctx, IdCursor, IdPath, Limit, Member
from confide.api.schemas import Page, PublicModel
from confide.api.uploads import FileUpload
from confide.services import files, retrieval
from confide.services.files import FileInfo

router = APIRouter(prefix="/api/files", tags=["files"])
FILES_PATH = "/api/files"
MULTIPART_FRAMING = 16 * 1024  # boundaries and part headers: far less than this
UPLOAD_BODY = {
    "requestBody": {
        "required": True,
        "description": "One file, in a multipart field named `file`. Its type is read from its "
        "bytes; its name is kept only to show it back to you.",
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "required": ["file"],
                    "properties": {"file": {"type": "string", "format": "binary"}},
                }
            }
        },
    }
}
ERRORS: dict[int | str, dict[str, Any]] = {
    413: {"description": "Larger than the per-file limit or the room left in your quota."},
    415: {"description": "Not a multipart/form-data body."},
}
DOWNLOAD: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "The file, as an attachment, with the type read from its bytes.",
        "content": {"application/octet-stream": {"schema": {"type": "string", "format": "binary"}}},
    }
}


class FilePublic(PublicModel):
    id: str
    name: str
    size: int
    content_type: str
    kind: str | None
    status: str
    progress: int
    error: str | None
    chunk_count: int
    created_at: datetime
    updated_at: datetime


@router.post(
    "", status_code=201, response_model=FilePublic, responses=ERRORS, openapi_extra=UPLOAD_BODY
)
async def upload_file(request: Request, principal: Member, ctx: Ctx) -> FileInfo:
    """Upload a file; it is read and indexed in the background (watch `status`)."""
    upload = FileUpload(request)
    name = await upload.open()
    return await files.upload(
        principal, ctx, name, upload.chunks(), at_least=_least_file_size(request)
    )


@router.get("", response_model=Page[FilePublic])
async def list_files(
    principal: Member, ctx: Ctx, cursor: IdCursor, limit: Limit = 50
) -> Page[FilePublic]:
    """My files, newest first."""
    rows = await files.page(principal, ctx, before=cursor, limit=limit + 1)
    items = [FilePublic.model_validate(row) for row in rows[:limit]]
    return Page(items=items, next_cursor=items[-1].id if len(rows) > limit else None)


class PassagePublic(PublicModel):
    file_id: str
    file_name: str
    ordinal: int = Field(description="The passage's place in its file (0 is the first).")
    text: str
    headings: list[str] = Field(description="The headings it sits under, outermost first.")
    location: str = Field(description='Where it starts in the file, e.g. "page 3".')
    end_location: str
    score: float = Field(
        description="How well it answers the question: its ranks by meaning and by keywords, "
        "fused (reciprocal rank fusion). Higher is better; compare only within one search."
    )


class SearchResults(PublicModel):
    items: list[PassagePublic]


@router.get("/search", response_model=SearchResults)
async def search_files(
    principal: Member,
    ctx: Ctx,
    q: str = Query(min_length=1, max_length=retrieval.MAX_QUERY, description="The question."),
    file_id: list[Annotated[str, Field(max_length=64)]] | None = Query(
        default=None, max_length=100, description="Only these files (repeat the parameter)."
    ),
    knowledge_id: list[Annotated[str, Field(max_length=64)]] | None = Query(
        default=None,
        max_length=10,
        description="Search these knowledge bases (mine or shared with me) instead of all my "
        "files; with `file_id` too, both.",
    ),
    limit: int = Query(default=8, ge=1, le=retrieval.MAX_RESULTS),
) -> SearchResults:
    """The passages of my indexed files that best answer `q`, best first: the closest in
    meaning and the best matches for its words, fused."""
    found = await retrieval.search(
        principal, ctx, q, file_ids=file_id, knowledge_ids=knowledge_id or (), limit=limit
    )
    return SearchResults(items=[PassagePublic.model_validate(p) for p in found])


@router.get("/{file_id}", response_model=FilePublic)
async def get_file(file_id: IdPath, principal: Member, ctx: Ctx) -> FileInfo:
    return await files.get(principal, ctx, file_id)


@router.get("/{file_id}/content", response_class=StreamingResponse, responses=DOWNLOAD)
async def download_file(file_id: IdPath, principal: Member, ctx: Ctx) -> StreamingResponse:
    """The file itself, as an attachment."""
    info, body = await files.content(principal, ctx, file_id)
    headers = {
        "content-disposition": _attachment(info.name),
        "content-security-policy": "default-src 'none'; sandbox",
        "x-content-type-options": "nosniff",
        "cache-control": "private, no-store",
        "content-length": str(info.size),
    }
    return StreamingResponse(body, media_type=info.content_type, headers=headers)


@router.delete("/{file_id}", status_code=204)
async def delete_file(file_id: IdPath, principal: Member, ctx: Ctx) -> None:
    """Delete the file, its passages and its stored bytes."""
    await files.delete(principal, ctx, file_id)


@router.post("/{file_id}/reindex", status_code=202, response_model=FilePublic)
async def reindex_file(file_id: IdPath, principal: Member, ctx: Ctx) -> FileInfo:
    """Read and index the file again (for example after it failed)."""
    return await files.reindex(principal, ctx, file_id)


def _least_file_size(request: Request) -> int | None:
    """How large the file must be, going by the body's declared length less room for the
    multipart framing: enough to refuse a too-large upload before reading any of it."""
    declared = request.headers.get("content-length", "")
    return int(declared) - MULTIPART_FRAMING if declared.isdigit() else None


def _attachment(name: str) -> str:
    """A Content-Disposition that carries any name safely: an ASCII fallback (no quotes,
    backslashes or control characters) and the exact name, percent-encoded (RFC 6266)."""
    fallback = "".join(
        c if c.isascii() and c.isprintable() and c not in '"\\' else "_" for c in name
    )
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(name, safe='')}"
