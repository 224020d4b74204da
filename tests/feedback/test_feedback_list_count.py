"""The public list of reports writes its count the Vietnamese way."""

from __future__ import annotations

from smartcity.feedback import service


def test_report_count_in_vietnamese_format(client, city, monkeypatch):
    monkeypatch.setattr(service, "list_reports", lambda *_args, **_kwargs: ([], 1177))
    page = client.get("/phan-anh")
    assert page.status_code == 200
    assert "(1.177)" in page.text
    assert "(1177)" not in page.text
