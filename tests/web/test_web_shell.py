"""The page shell every page extends: its icon is named and served (a browser asks for one on every page)."""

from __future__ import annotations


def test_every_page_names_an_icon_that_is_served(client):
    page = client.get("/thu-tuc")
    assert '<link rel="icon" href="/static/favicon.svg" type="image/svg+xml">' in page.text
    icon = client.get("/static/favicon.svg")
    assert icon.status_code == 200 and icon.headers["content-type"].startswith("image/svg+xml")
    assert icon.text.startswith("<svg")
