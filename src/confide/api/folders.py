"""`/api/folders`: my folders of chats (a tree: `parent_id`), and `/api/tags`: my tags."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Query
from pydantic import Field, field_validator

from confide.api.deps import Ctx, IdPath, Member
from confide.api.schemas import PublicModel, StrictModel
from confide.services import folders, tags

router = APIRouter(prefix="/api/folders", tags=["folders"])
tags_router = APIRouter(prefix="/api/tags", tags=["tags"])
FolderName = Annotated[str, Field(min_length=1, max_length=100)]


def _tidy(value: str | None) -> str | None:
    if value is not None and not value.strip():
        raise ValueError("The name is empty.")
    return None if value is None else " ".join(value.split())


class FolderCreate(StrictModel):
    name: FolderName
    parent_id: str | None = Field(default=None, max_length=64, description="Inside this folder.")

    _name = field_validator("name")(_tidy)


class FolderUpdate(StrictModel):
    name: FolderName | None = None
    parent_id: str | None = Field(
        default=None, max_length=64, description="Move inside this folder; null: to the top."
    )

    _name = field_validator("name")(_tidy)


class FolderPublic(PublicModel):
    id: str
    name: str
    parent_id: str | None
    created_at: datetime
    updated_at: datetime
    chats: int = Field(
        description="How many of my chats are directly in it (not in the folders inside it), "
        "archived ones left out: the chats the sidebar lists when the folder is chosen."
    )
    archived_chats: int = Field(
        description="How many of my archived chats are directly in it (deleting the folder "
        "with its chats deletes these too)."
    )


class TagPublic(PublicModel):
    id: str
    name: str
    chats: int = Field(description="How many of my chats carry it.")


@router.get("", response_model=list[FolderPublic])
async def list_folders(principal: Member, ctx: Ctx) -> list[FolderPublic]:
    """All my folders, by name, with how many of my chats each holds; build the tree from
    `parent_id`."""
    return [FolderPublic.model_validate(f) for f in await folders.list_folders(principal, ctx)]


@router.post("", status_code=201, response_model=FolderPublic)
async def create_folder(body: FolderCreate, principal: Member, ctx: Ctx) -> FolderPublic:
    folder = await folders.create_folder(principal, ctx, body.name, body.parent_id)
    return FolderPublic.model_validate(folder)


@router.patch("/{folder_id}", response_model=FolderPublic)
async def update_folder(
    folder_id: IdPath, body: FolderUpdate, principal: Member, ctx: Ctx
) -> FolderPublic:
    """Rename, or move (`parent_id`; null moves it to the top level)."""
    moved = "parent_id" in body.model_fields_set
    folder = await folders.update_folder(
        principal, ctx, folder_id, name=body.name, parent_id=body.parent_id if moved else ...
    )
    return FolderPublic.model_validate(folder)


@router.delete("/{folder_id}", status_code=204)
async def delete_folder(
    folder_id: IdPath,
    principal: Member,
    ctx: Ctx,
    chats: Literal["move", "delete"] = Query(
        default="move",
        description="`move`: its chats (and those of the folders inside it) go to its parent "
        "folder, or to no folder; `delete`: they are deleted with it.",
    ),
) -> None:
    """Delete the folder and every folder inside it."""
    await folders.delete_folder(principal, ctx, folder_id, chats)


@tags_router.get("", response_model=list[TagPublic])
async def list_tags(principal: Member, ctx: Ctx) -> list[TagPublic]:
    """My tags, by name."""
    return [TagPublic.model_validate(t) for t in await tags.list_tags(principal, ctx)]


@tags_router.delete("/{tag_id}", status_code=204)
async def delete_tag(tag_id: IdPath, principal: Member, ctx: Ctx) -> None:
    """Remove the tag from every chat."""
    await tags.delete_tag(principal, ctx, tag_id)
