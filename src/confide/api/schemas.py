"""Request and response shapes shared across routes."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, ClassVar, Generic, Self, TypeVar

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator

from confide.services.accounts import clean_name, normalize_email

T = TypeVar("T")


class StrictModel(BaseModel):
    """Request bodies: unknown fields are refused, so nothing can be mass-assigned."""

    model_config = ConfigDict(extra="forbid")


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
