"""Paging of lists: the slices the API and the pages ask for."""

from __future__ import annotations

from smartcity.core.pages import MAX_OFFSET, PageParams


def test_a_page_number_past_the_deepest_offset_is_an_empty_slice_not_an_error():
    """`?trang=437886250` on a staff list was a 500 (offset past MAX_OFFSET; found by fuzzing)."""
    assert PageParams.for_page(3, 30).offset == 60
    assert PageParams.for_page(0).offset == 0
    assert PageParams.for_page(437_886_250, 50).offset == MAX_OFFSET
    assert PageParams.for_page(10**30).offset == MAX_OFFSET
