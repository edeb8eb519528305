"""`/api/knowledge`: knowledge bases, named collections of my uploaded files for chats to
retrieve from, which I may share with users and groups to read or to write.

A base I may not read answers 404, exactly like a missing one. With `read` permission I see
it and its files; changing it answers 403. With `write` I may also rename it and add or remove
my own files. Only the owner deletes it or changes its grants, and only the owner is shown
them. Name and description are plain text: render them as text, never as HTML.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal, Self

from fastapi import APIRouter
from pydantic import AfterValidator, Field, model_validator

from confide.api.deps import Ctx, IdCursor, IdPath, Limit, Member
from confide.api.schemas import Page, PatchModel, PublicModel, StrictModel
from confide.services import knowledge
from confide.services.knowledge import (
    Grantee,
    KnowledgeFileInfo,
    KnowledgeSummary,
    KnowledgeView,
)

router = APIRouter(prefix="/api/knowledge", tags=["knowledge"])

Name = Annotated[
    str,
    Field(min_length=1, max_length=knowledge.MAX_NAME),
    AfterValidator(knowledge.clean_name),
]
Description = Annotated[
    str,
    Field(max_length=knowledge.MAX_DESCRIPTION, description="Plain text, never HTML."),
    AfterValidator(knowledge.clean_description),
]
Id = Annotated[str, Field(min_length=1, max_length=64)]
Permission = Literal["read", "write"]


class KnowledgeIn(StrictModel):
    name: Name
    description: Description = ""


class KnowledgeUpdate(PatchModel):
    name: Name | None = None
    description: Description | None = None


class FileRef(StrictModel):
    file_id: Id = Field(description="One of your own files (from `/api/files`).")


class GrantIn(StrictModel):
    user_id: Id | None = Field(default=None, description="An approved user's id.")
    group_id: Id | None = Field(default=None, description="A group you are in.")
    email: str | None = Field(
        default=None, max_length=320, description="An approved user's address (instead of an id)."
    )
    permission: Permission = Field(description="`write` may also rename and add files.")

    @model_validator(mode="after")
    def _one_grantee(self) -> Self:
        if sum(who is not None for who in (self.user_id, self.group_id, self.email)) != 1:
            raise ValueError("Each grant names one user_id, group_id or email, and only one.")
        return self


class GrantsIn(StrictModel):
    grants: list[GrantIn] = Field(
        max_length=knowledge.MAX_GRANTS, description="Replaces every grant; [] shares with none."
    )


class GrantPublic(PublicModel):
    user_id: str | None
    group_id: str | None
    email: str | None = Field(description="A user grantee's address (null for a group).")
    permission: str


class GrantsPublic(PublicModel):
    grants: list[GrantPublic]


class KnowledgeFilePublic(PublicModel):
    id: str
    name: str
    status: str
    chunk_count: int
    mine: bool = Field(description="You uploaded it (with `write`, you may remove it).")
    added_at: datetime


class KnowledgeSummaryPublic(PublicModel):
    id: str
    name: str
    description: str
    permission: str = Field(description="What you may do: `owner`, `write` or `read`.")
    file_count: int
    created_at: datetime
    updated_at: datetime


class KnowledgePublic(KnowledgeSummaryPublic):
    files: list[KnowledgeFilePublic] = Field(description=f"At most {knowledge.MAX_FILES:,}.")
    grants: list[GrantPublic] | None = Field(description="Shown to the owner only (else null).")


@router.get("", response_model=Page[KnowledgeSummaryPublic])
async def list_knowledge(
    principal: Member, ctx: Ctx, cursor: IdCursor, limit: Limit = 50
) -> Page[KnowledgeSummaryPublic]:
    """Mine and those shared with me or my groups, newest first."""
    rows = await knowledge.page(principal, ctx, before=cursor, limit=limit + 1)
    items = [_summary(row) for row in rows[:limit]]
    return Page(items=items, next_cursor=items[-1].id if len(rows) > limit else None)


@router.post("", status_code=201, response_model=KnowledgePublic)
async def create_knowledge(body: KnowledgeIn, principal: Member, ctx: Ctx) -> KnowledgeView:
    return await knowledge.create(principal, ctx, body.name, body.description)


@router.get("/{knowledge_id}", response_model=KnowledgePublic)
async def get_knowledge(knowledge_id: IdPath, principal: Member, ctx: Ctx) -> KnowledgeView:
    """The base with its files, and (to its owner) who else may use it."""
    return await knowledge.get(principal, ctx, knowledge_id)


@router.patch("/{knowledge_id}", response_model=KnowledgePublic)
async def update_knowledge(
    knowledge_id: IdPath, body: KnowledgeUpdate, principal: Member, ctx: Ctx
) -> KnowledgeView:
    """Rename or describe it (owner, or `write` permission)."""
    return await knowledge.update(
        principal, ctx, knowledge_id, name=body.name, description=body.description
    )


@router.delete("/{knowledge_id}", status_code=204)
async def delete_knowledge(knowledge_id: IdPath, principal: Member, ctx: Ctx) -> None:
    """Owner only. Its files are not deleted."""
    await knowledge.delete(principal, ctx, knowledge_id)


@router.post("/{knowledge_id}/files", status_code=201, response_model=KnowledgeFilePublic)
async def add_knowledge_file(
    knowledge_id: IdPath, body: FileRef, principal: Member, ctx: Ctx
) -> KnowledgeFileInfo:
    """Add one of your own files (owner, or `write` permission); again is harmless."""
    return await knowledge.add_file(principal, ctx, knowledge_id, body.file_id)


@router.delete("/{knowledge_id}/files/{file_id}", status_code=204)
async def remove_knowledge_file(
    knowledge_id: IdPath, file_id: IdPath, principal: Member, ctx: Ctx
) -> None:
    """Take a file out (the file itself stays): the owner any, `write` only your own."""
    await knowledge.remove_file(principal, ctx, knowledge_id, file_id)


@router.put("/{knowledge_id}/grants", response_model=GrantsPublic)
async def set_knowledge_grants(
    knowledge_id: IdPath, body: GrantsIn, principal: Member, ctx: Ctx
) -> GrantsPublic:
    """Owner only: who else may use it. Users must be approved accounts, named by id or by
    address; groups, ones you are in (admins: any group). Unknown ids and addresses answer
    400; more than 100 addresses looked up in an hour, 429."""
    wanted = [Grantee(g.user_id, g.group_id, g.permission, g.email) for g in body.grants]
    granted = await knowledge.set_grants(principal, ctx, knowledge_id, wanted)
    return GrantsPublic(grants=[GrantPublic.model_validate(g) for g in granted])


def _summary(row: KnowledgeSummary) -> KnowledgeSummaryPublic:
    return KnowledgeSummaryPublic.model_validate(row)
