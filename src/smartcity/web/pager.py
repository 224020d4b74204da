"""The page numbers an HTML list's pager links to (the lists themselves are `core.pages.Page`)."""

from __future__ import annotations

PAGER_NEIGHBOURS = 2  # pages shown on each side of the current one, besides the first and the last


def pager_pages(page: int, pages: int) -> list[int | None]:
    """The page numbers a pager links to: the first, the last and the current one's neighbours; None where
    pages are skipped (an ellipsis)."""
    shown = {1, pages, *range(page - PAGER_NEIGHBOURS, page + PAGER_NEIGHBOURS + 1)}
    numbers = sorted(n for n in shown if 1 <= n <= pages)
    found: list[int | None] = []
    for number in numbers:
        if found and number - (found[-1] or 0) > 1:
            found.append(None)
        found.append(number)
    return found
