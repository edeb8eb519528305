"""Request and response shapes shared across routes."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Generic, TypeVar

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from confide.services.accounts import clean_name, normalize_email

T = TypeVar("T")


class StrictModel(BaseModel):
    """Request bodies: unknown fields are refused, so nothing can be mass-assigned."""

    model_config = ConfigDict(extra="forbid")


class PublicModel(BaseModel):
    model_config = ConfigDict(from_attributes=True)


class Page(PublicModel, Generic[T]):
    items: list[T]
    next_cursor: str | None = Field(
        description="Pass as `cursor` for the next page; null at the end."
    )


Email = Annotated[str, Field(max_length=320), AfterValidator(normalize_email)]
Name = Annotated[str, Field(max_length=200), AfterValidator(clean_name)]
Password = Annotated[str, Field(min_length=1, max_length=1024)]


class UserPublic(PublicModel):
    id: str
    email: str
    name: str
    role: str
    disabled: bool
    created_at: datetime
