"""Request and response shapes shared across routes."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, ClassVar, Generic, Self, TypeVar

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    computed_field,
    field_validator,
    model_validator,
)

from confide.services.accounts import clean_name, normalize_email

T = TypeVar("T")


def refuse_nul(value: Any) -> Any:
    """Refuse text with a NUL character anywhere in it: never meaningful, and PostgreSQL
    cannot store or even compare it (a query with one fails instead of finding nothing)."""
    if isinstance(value, str) and "\x00" in value:
        raise ValueError("Text cannot contain NUL characters.")
    if isinstance(value, list | tuple):
        for item in value:
            refuse_nul(item)
    return value


class StrictModel(BaseModel):
    """Request bodies: unknown fields are refused, so nothing can be mass-assigned."""

    model_config = ConfigDict(extra="forbid")

    @field_validator("*")
    @classmethod
    def _refuse_nul(cls, value: Any) -> Any:
        return refuse_nul(value)


class PatchModel(StrictModel):
    """A partial update: omitted fields stay as they are. `null` is refused, except for the
    fields in `nullable`, where it clears the value."""

    nullable: ClassVar[frozenset[str]] = frozenset()

    @model_validator(mode="after")
    def _no_nulls(self) -> Self:
        for name in sorted(self.model_fields_set - self.nullable):
            if getattr(self, name) is None:
                raise ValueError(f"{name} cannot be null.")
        return self

    def cleared(self, name: str) -> bool:
        """True when the request set `name` to null."""
        return name in self.model_fields_set and getattr(self, name) is None


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
    avatar_at: datetime | None = Field(default=None, exclude=True)

    @computed_field(  # type: ignore[prop-decorator]
        description="The profile picture (same origin; the `v` changes with the picture), "
        "or null when there is none."
    )
    @property
    def avatar_url(self) -> str | None:
        if self.avatar_at is None:
            return None
        return f"/api/users/{self.id}/avatar?v={avatar_stamp(self.avatar_at)}"


def avatar_stamp(at: datetime) -> str:
    """A profile picture's version: its time set, in milliseconds (its URL's `v`, its ETag)."""
    return str(int(at.timestamp() * 1000))
