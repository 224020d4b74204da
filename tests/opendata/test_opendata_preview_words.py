"""The preview of a dataset in English: the platform's words in its cells (a field, a type, a status) in
English, while the files keep them as published."""

from __future__ import annotations

from tests.opendata.test_opendata_catalogue import _preview


def test_the_english_preview_says_the_fields_of_the_procedures_in_english(client, public_city):
    vietnamese = _preview(client.get("/du-lieu-mo/procedures-catalogue", params={"lang": "vi"}).text)
    english = _preview(client.get("/du-lieu-mo/procedures-catalogue", params={"lang": "en"}).text)
    assert "<td>Civil registration</td>" in english and "<td>Hộ tịch</td>" not in english
    assert "<td>Hộ tịch</td>" in vietnamese
    assert "<td>Toàn trình</td>" not in english
    files = client.get("/du-lieu-mo/tai-ve/procedures-catalogue-csv", params={"lang": "en"}).text
    assert ",Hộ tịch," in files and "Civil registration" not in files
