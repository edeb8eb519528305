"""`/api/chats`: chats, their message trees, sending, following replies (SSE), stopping."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Header, Query
from pydantic import Field, field_validator, model_validator

from confide.api.deps import Ctx, Cursor, IdPath, Limit, Member, TakingGenerations
from confide.api.errors import UNAVAILABLE
from confide.api.schemas import Page, PublicModel, StrictModel
from confide.api.sse import StreamBody, event_stream
from confide.db.ids import is_id
from confide.errors import BadRequest
from confide.providers.base import GenerationParams
from confide.services import attachments, chats, messages, search, tags, web_pages
from confide.services.chats import ChatSummary
from confide.store.chats import ChatCursor

router = APIRouter(prefix="/api/chats", tags=["chats"])
SEARCH_HELP = (
    "Words to find (all of them; the last also as the start of a word, from 3 letters), and "
    "filters: `tag:name`, `folder:name`, `model:id`, `after:2026-01-31`, `before:2026-02-28`, "
    '`is:archived` or `is:active`. Quote values with spaces: `tag:"two words"`.'
)
MAX_MESSAGE_CHARS = 100_000
Title = Annotated[str, Field(min_length=1, max_length=200)]


TagName = Annotated[str, Field(min_length=1, max_length=50)]
FolderRef = Annotated[str | None, Field(default=None, max_length=64)]


class ChatCreate(StrictModel):
    title: Title | None = None
    folder_id: FolderRef = None


class ChatUpdate(StrictModel):
    title: Title | None = None
    pinned: bool | None = None
    archived: bool | None = None
    current_leaf_id: str | None = Field(default=None, max_length=64)
    folder_id: FolderRef = Field(
        default=None, max_length=64, description="Move into this folder; null: out of any."
    )


class ChatPublic(PublicModel):
    id: str
    title: str
    pinned: bool
    archived: bool
    folder_id: str | None
    tags: list[str]
    created_at: datetime
    updated_at: datetime


class TagsUpdate(StrictModel):
    tags: list[TagName] = Field(max_length=tags.MAX_TAGS_PER_CHAT)


class TagsPublic(PublicModel):
    tags: list[str]


class BulkRequest(StrictModel):
    chat_ids: list[Annotated[str, Field(min_length=1, max_length=64)]] = Field(
        min_length=1, max_length=chats.MAX_BULK
    )
    action: chats.BulkAction
    folder_id: FolderRef = Field(
        default=None, max_length=64, description="For `move`: the folder (null: out of any)."
    )


class CountPublic(PublicModel):
    count: int


class AttachmentPublic(PublicModel):
    kind: Literal["file", "knowledge", "web"]
    id: str = Field(description="A web page's is its address.")
    name: str = Field(description="Its name when it was attached (a web page's address).")


class SourcePublic(PublicModel):
    n: int = Field(description="The number the reply cites it by, from 1.")
    file_id: str | None = Field(description="null for a web page.")
    file_name: str = Field(description="A web page's title, or its host.")
    ordinal: int = Field(description="The passage's place in its file (0 is the first).")
    location: str = Field(description='Where it starts in the file, e.g. "page 3".')
    end_location: str
    headings: list[str] = Field(description="The headings it sits under, outermost first.")
    text: str
    url: str | None = Field(default=None, description="A web page's address.")


class MessagePublic(PublicModel):
    id: str
    parent_id: str | None
    role: str
    content: str
    model: str | None
    status: str
    finish_reason: str | None
    error: str | None
    usage: dict[str, Any] | None
    created_at: datetime
    sibling_ids: list[str] = Field(description="This message and its siblings (branches).")
    attachments: list[AttachmentPublic] = Field(
        description="On a user message: the files and knowledge bases attached to it."
    )
    sources: list[SourcePublic] = Field(
        description="On a reply: the passages it was given, which it cites as [n]."
    )


class ChatDetailPublic(ChatPublic):
    current_leaf_id: str | None
    messages: list[MessagePublic]


class ParamsIn(StrictModel):
    temperature: float | None = Field(default=None, ge=0, le=2)
    top_p: float | None = Field(default=None, ge=0, le=1)
    max_tokens: int | None = Field(default=None, ge=1, le=32768)
    stop: list[Annotated[str, Field(min_length=1, max_length=100)]] = Field(
        default_factory=list, max_length=4
    )
    seed: int | None = Field(default=None, ge=0, le=2**31 - 1)

    def to_params(self) -> GenerationParams:
        return GenerationParams(
            self.temperature, self.top_p, self.max_tokens, tuple(self.stop), self.seed
        )


class MessageCreate(StrictModel):
    content: str | None = Field(
        default=None,
        max_length=MAX_MESSAGE_CHARS,
        description="The message. Omit it to regenerate replies to `parent_id` (a user message).",
    )
    model: str | None = Field(default=None, max_length=200)
    models: list[Annotated[str, Field(max_length=200)]] | None = Field(default=None, max_length=4)
    parent_id: str | None = Field(
        default=None,
        max_length=64,
        description="Message to answer under (default: the current leaf). For an edit, the "
        "edited message's parent; for a regeneration, the user message.",
    )
    at_root: bool = Field(
        default=False,
        description="Start the chat over with this message (an edit of the first message): "
        "it gets no parent and becomes a sibling of the first one. Needs `content`, not "
        "`parent_id`.",
    )
    params: ParamsIn | None = None
    file_ids: list[Annotated[str, Field(max_length=64)]] = Field(
        default_factory=list,
        max_length=attachments.MAX_FILES,
        description="My files to ask about (ready ones). They stay in scope for the rest of "
        "the branch: later questions search them too.",
    )
    knowledge_ids: list[Annotated[str, Field(max_length=64)]] = Field(
        default_factory=list,
        max_length=attachments.MAX_KNOWLEDGE,
        description="Knowledge bases to ask about (mine or shared with me); in scope for the "
        "rest of the branch, like files.",
    )
    urls: list[Annotated[str, Field(min_length=1, max_length=web_pages.MAX_URL_CHARS)]] = Field(
        default_factory=list,
        max_length=web_pages.MAX_URLS,
        description="Public web pages (http or https) to ask about: fetched by the server now "
        "(never from internal addresses), for this message and its regenerations.",
    )

    @field_validator("content")
    @classmethod
    def _not_blank(cls, value: str | None) -> str | None:
        if value is not None and not value.strip():
            raise ValueError("The message is empty.")
        return value

    @model_validator(mode="after")
    def _one_way_to_name_models(self) -> MessageCreate:
        if (self.model is None) == (self.models is None):
            raise ValueError("Give either `model` or `models`.")
        if self.at_root and (self.content is None or self.parent_id is not None):
            raise ValueError("`at_root` starts over with new `content`; it takes no `parent_id`.")
        if self.content is None and self.parent_id is None:
            raise ValueError("To regenerate, give `parent_id`; otherwise give `content`.")
        return self

    def model_ids(self) -> list[str]:
        return self.models if self.models is not None else [str(self.model)]


class SendPublic(PublicModel):
    user_message_id: str | None
    assistant_message_ids: list[str]


def _public(summary: ChatSummary) -> ChatPublic:
    return ChatPublic.model_validate(summary)


def _cursor_of(at: ChatPublic | ChatCursor) -> str:
    return f"{int(at.updated_at.timestamp() * 1_000_000)}.{at.id}"


def _parse_cursor(cursor: str | None) -> ChatCursor | None:
    if cursor is None:
        return None
    micros, _, chat_id = cursor.partition(".")
    if not micros.isdigit() or not is_id(chat_id):
        raise BadRequest("The cursor is not one this API gave out.")
    return ChatCursor(datetime.fromtimestamp(int(micros) / 1_000_000, UTC), chat_id)


@router.get("", response_model=Page[ChatPublic])
async def list_chats(
    principal: Member,
    ctx: Ctx,
    archived: bool = False,
    folder_id: Annotated[
        str | None,
        Query(max_length=64, description="Only chats in this folder; `none`: in no folder."),
    ] = None,
    tag: Annotated[
        str | None, Query(max_length=50, description="Only chats with this tag.")
    ] = None,
    cursor: Cursor = None,
    limit: Limit = 50,
) -> Page[ChatPublic]:
    """My chats, most recently active first."""
    rows = await chats.list_chats(
        principal,
        ctx,
        archived=archived,
        before=_parse_cursor(cursor),
        limit=limit + 1,
        folder_id="" if folder_id == "none" else folder_id,
        tag=tag,
    )
    items = [_public(s) for s in rows[:limit]]
    return Page(items=items, next_cursor=_cursor_of(items[-1]) if len(rows) > limit else None)


@router.post("", status_code=201, response_model=ChatPublic)
async def create_chat(body: ChatCreate, principal: Member, ctx: Ctx) -> ChatPublic:
    return _public(await chats.create_chat(principal, ctx, body.title, body.folder_id))


@router.delete("", response_model=CountPublic)
async def delete_all_chats(
    principal: Member,
    ctx: Ctx,
    confirm: bool = Query(default=False, description="Must be true: this cannot be undone."),
) -> CountPublic:
    """Delete every one of my chats, archived ones included, for good."""
    if not confirm:
        raise BadRequest("Deleting all your chats cannot be undone: send `confirm=true`.")
    return CountPublic(count=await chats.delete_all(principal, ctx))


@router.post("/bulk", response_model=CountPublic)
async def bulk_action(body: BulkRequest, principal: Member, ctx: Ctx) -> CountPublic:
    """Archive, unarchive, pin, unpin, move or delete a selection of my chats, all or none:
    if one id is not one of my chats, nothing changes (404)."""
    if body.action != "move" and "folder_id" in body.model_fields_set:
        raise BadRequest("`folder_id` goes with the `move` action only.")
    done = await chats.bulk(principal, ctx, body.chat_ids, body.action, body.folder_id)
    return CountPublic(count=done)


@router.put("/{chat_id}/tags", response_model=TagsPublic)
async def set_tags(chat_id: IdPath, body: TagsUpdate, principal: Member, ctx: Ctx) -> TagsPublic:
    """Replace the chat's tags (names compare without regard to case or accents)."""
    return TagsPublic(tags=await tags.set_tags(principal, ctx, chat_id, body.tags))


class FoundPublic(PublicModel):
    message_id: str | None = Field(description="The message that matched; null: the title.")
    snippet: str = Field(description="Plain text around the match (render as text).")
    highlights: list[tuple[int, int]] = Field(
        description="[start, end) offsets of the matching words in `snippet`."
    )


class HitPublic(PublicModel):
    chat: ChatPublic
    found: FoundPublic


@router.get("/search", response_model=Page[HitPublic])
async def search_chats(
    principal: Member,
    ctx: Ctx,
    q: Annotated[str, Query(min_length=1, max_length=500, description=SEARCH_HELP)],
    cursor: Cursor = None,
    limit: Annotated[int, Query(ge=1, le=50, description="Results per page (at most 50).")] = 20,
) -> Page[HitPublic]:
    """Search my chats' titles and messages (archived ones too), newest first."""
    results = await search.search_chats(
        principal, ctx, q, before=_parse_cursor(cursor), limit=limit
    )
    items = [HitPublic.model_validate(hit) for hit in results.hits]
    after = results.next_cursor
    return Page(items=items, next_cursor=_cursor_of(after) if after else None)


@router.get("/{chat_id}", response_model=ChatDetailPublic)
async def get_chat(
    chat_id: IdPath,
    principal: Member,
    ctx: Ctx,
    tree: bool = Query(default=False, description="Every message, not just the current branch."),
) -> ChatDetailPublic:
    detail = await chats.get_chat(principal, ctx, chat_id, tree=tree)
    messages_out = [MessagePublic.model_validate(m) for m in detail.messages]
    return ChatDetailPublic(
        **_public(detail.chat).model_dump(),
        current_leaf_id=detail.current_leaf_id,
        messages=messages_out,
    )


@router.patch("/{chat_id}", response_model=ChatPublic)
async def update_chat(chat_id: IdPath, body: ChatUpdate, principal: Member, ctx: Ctx) -> ChatPublic:
    """Rename, pin, archive, move to a folder, or switch branch (`current_leaf_id`)."""
    moved = "folder_id" in body.model_fields_set
    summary = await chats.update_chat(
        principal,
        ctx,
        chat_id,
        title=body.title,
        pinned=body.pinned,
        archived=body.archived,
        current_leaf_id=body.current_leaf_id,
        folder_id=body.folder_id if moved else ...,
    )
    return _public(summary)


@router.delete("/{chat_id}", status_code=204)
async def delete_chat(chat_id: IdPath, principal: Member, ctx: Ctx) -> None:
    """Delete the chat and all its messages for good."""
    await chats.delete_chat(principal, ctx, chat_id)


@router.post(
    "/{chat_id}/messages",
    status_code=201,
    response_model=SendPublic,
    dependencies=[TakingGenerations],
    responses=UNAVAILABLE,
)
async def send_message(
    chat_id: IdPath, body: MessageCreate, principal: Member, ctx: Ctx
) -> SendPublic:
    """Send a message (or regenerate); replies are generated in the background."""
    result = await messages.send(
        principal,
        ctx,
        chat_id,
        content=body.content,
        model_ids=body.model_ids(),
        parent_id=body.parent_id,
        at_root=body.at_root,
        params=body.params.to_params() if body.params else None,
        file_ids=body.file_ids,
        knowledge_ids=body.knowledge_ids,
        urls=body.urls,
    )
    return SendPublic.model_validate(result)


@router.delete("/{chat_id}/messages/{message_id}", status_code=204)
async def delete_message(chat_id: IdPath, message_id: IdPath, principal: Member, ctx: Ctx) -> None:
    """Delete a message and every reply below it."""
    await chats.delete_message(principal, ctx, chat_id, message_id)


@router.get("/{chat_id}/messages/{message_id}/stream", response_class=StreamBody, status_code=200)
async def follow_message(
    chat_id: IdPath,
    message_id: IdPath,
    principal: Member,
    ctx: Ctx,
    last_event_id: Annotated[str | None, Header(max_length=20)] = None,
) -> StreamBody:
    """Follow a reply as Server-Sent Events (`delta`, then `done` or `error`). Reconnect with
    `Last-Event-ID` to get only what you missed; a finished reply comes as one `snapshot`."""
    after = int(last_event_id) if last_event_id and last_event_id.isdigit() else 0
    batches = await messages.follow(principal, ctx, chat_id, message_id, after)
    return event_stream(batches)


@router.post("/{chat_id}/messages/{message_id}/stop", status_code=204)
async def stop_message(chat_id: IdPath, message_id: IdPath, principal: Member, ctx: Ctx) -> None:
    """Stop a reply being generated; what it wrote so far is kept."""
    await messages.stop(principal, ctx, chat_id, message_id)
