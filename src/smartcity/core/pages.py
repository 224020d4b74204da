"""The one page type of every list: `Page[T]` in the API, the same object behind every HTML list.

@api.get("/things", response_model=Page[ThingRead])
def things(db: DbDep, paging: PagingDep) -> Page[ThingRead]:
    return service.list_things(db, paging=paging)
"""

from __future__ import annotations

from collections.abc import Sequence
from math import ceil
from typing import Annotated, Any, Generic, TypeVar

from fastapi import Depends, Query
from pydantic import BaseModel, Field
from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

T = TypeVar("T")

MAX_LIMIT = 500
MAX_OFFSET = 10_000_000


class PageParams(BaseModel):
    """Which slice of a list to return."""

    limit: int = Field(default=50, ge=1, le=MAX_LIMIT)
    offset: int = Field(default=0, ge=0, le=MAX_OFFSET)

    @classmethod
    def for_page(cls, page: int, size: int = 50) -> PageParams:
        """The slice of 1-based page number `page` of `size` rows (HTML lists); a page number past the
        deepest offset gives the (empty) slice there, as any page past the end does, not a 500."""
        return cls(limit=size, offset=min((max(page, 1) - 1) * size, MAX_OFFSET))


class Page(BaseModel, Generic[T]):
    """A slice of a list with the total count."""

    items: list[T]
    total: int
    limit: int
    offset: int

    @classmethod
    def of(cls, items: Sequence[T], *, total: int, paging: PageParams) -> Page[T]:
        """A page of these items."""
        return cls(items=list(items), total=total, limit=paging.limit, offset=paging.offset)

    @property
    def number(self) -> int:
        """The 1-based number of this page."""
        return self.offset // self.limit + 1

    @property
    def pages(self) -> int:
        """How many pages the whole list has (at least one)."""
        return max(1, ceil(self.total / self.limit))

    @property
    def has_next(self) -> bool:
        """Whether a page follows this one."""
        return self.offset + len(self.items) < self.total


class KeysetPage(Page[T], Generic[T]):
    """A page of a list read by key (very long lists): a cursor to the next rows, and past a few thousand
    rows a total that is the database's estimate (`estimated`; pages say "khoảng")."""

    estimated: bool = Field(default=False, description="The total is the database's estimate, not a count")
    next_cursor: str | None = Field(
        default=None, description="Pass as `cursor` to read the rows after these (none: the last page)"
    )

    @property
    def has_next(self) -> bool:
        """Whether a page follows this one (known from the cursor, the total may be an estimate)."""
        return self.next_cursor is not None


def count_and_slice(
    session: Session, query: Select[T], *order_by: Any, limit: int, offset: int
) -> tuple[list[T], int]:
    """The rows [offset, offset + limit) of `query` in this order, and how many rows the whole query has."""
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    return list(session.scalars(query.order_by(*order_by).limit(limit).offset(offset))), int(total)


def page_params(
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT, description="Rows per page")] = 50,
    offset: Annotated[int, Query(ge=0, le=MAX_OFFSET, description="Rows to skip")] = 0,
) -> PageParams:
    """Paging from the query string (`limit`, `offset`), bounded."""
    return PageParams(limit=limit, offset=offset)


PagingDep = Annotated[PageParams, Depends(page_params)]
