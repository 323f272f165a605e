"""Request and response bodies of the items resource (the same for every database)."""

from datetime import datetime
from typing import Annotated, Literal, Self
from uuid import UUID

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    model_validator,
)


def _storable(value: str) -> str:
    # NUL and lone surrogates pass JSON parsing but no database can store them.
    if "\x00" in value:
        raise ValueError("must not contain NUL characters")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError("must be valid Unicode text") from None
    return value


Name = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=100),
    AfterValidator(_storable),
]
Description = Annotated[str, StringConstraints(max_length=1000), AfterValidator(_storable)]
Quantity = Annotated[int, Field(ge=0, le=1_000_000)]
SearchText = Annotated[
    str, StringConstraints(min_length=1, max_length=100), AfterValidator(_storable)
]
Sort = Literal["name", "-name", "quantity", "-quantity", "created_at", "-created_at"]


class ItemCreate(BaseModel):
    """A new item, or every field of an item being replaced (PUT)."""

    model_config = ConfigDict(extra="forbid")

    name: Name
    description: Description | None = None
    quantity: Quantity = 0


class ItemUpdate(BaseModel):
    """Some fields of an item (PATCH): only the fields sent are changed."""

    model_config = ConfigDict(extra="forbid")

    name: Name | None = None
    description: Description | None = None
    quantity: Quantity | None = None

    @model_validator(mode="after")
    def _required_fields_not_null(self) -> Self:
        for field in ("name", "quantity"):
            if field in self.model_fields_set and getattr(self, field) is None:
                raise ValueError(f"{field} cannot be null")
        return self


class ItemRead(BaseModel):
    """An item as the API returns it."""

    model_config = ConfigDict(from_attributes=True)

    id: UUID
    name: str
    description: str | None
    quantity: int
    created_at: datetime
    updated_at: datetime


class ItemQuery(BaseModel):
    """Query parameters of the item list: pagination, filter and sort order."""

    limit: int = Field(default=20, ge=1, le=100, description="Page size.")
    offset: int = Field(default=0, ge=0, le=1_000_000, description="Items to skip.")
    q: SearchText | None = Field(
        default=None,
        description="Only items whose name contains this text (case-insensitive).",
    )
    sort: Sort = Field(
        default="-created_at", description="Sort field; a leading '-' sorts descending."
    )

    @property
    def sort_field(self) -> str:
        return self.sort.removeprefix("-")

    @property
    def descending(self) -> bool:
        return self.sort.startswith("-")


class ItemPage(BaseModel):
    """One page of items and the number of items matching the query."""

    items: list[ItemRead]
    total: int
    limit: int
    offset: int
