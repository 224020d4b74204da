"""The news desk's form tells its mistakes by the fields' labels, in the page's language."""

from __future__ import annotations

import html


def _alert(page: str) -> str:
    """The form's list of mistakes, as a person reads it."""
    return html.unescape(page.split('class="alert-error"')[1].split("</div>")[0])


def test_an_empty_post_names_the_field_by_its_label_in_both_languages(signed_in, public_city):  # type: ignore[no-untyped-def]
    editor, token, _ = signed_in("bientap.loi", ("head", None))
    form = {"csrf_token": token, "kind": "news", "title_vi": "", "slug": "A B"}
    empty = editor.post("/can-bo/tin-tuc/moi", data=form)
    said = _alert(empty.text)
    assert empty.status_code == 422
    assert "Tiêu đề (tiếng Việt): Phải có ít nhất 3 ký tự." in said
    assert "Đường dẫn: Chưa đúng định dạng." in said
    assert "title_vi" not in said and "slug" not in said and "String should" not in said
    editor.cookies.set("lang", "en")
    english = _alert(editor.post("/can-bo/tin-tuc/moi", data=form).text)
    assert "Title (Vietnamese): Must have at least 3 characters." in english
    assert "Address slug: Not in the right format." in english and "Phải" not in english


def test_a_refusal_of_the_service_reads_without_the_fields_code(signed_in, public_city):  # type: ignore[no-untyped-def]
    editor, token, _ = signed_in("bientap.ngay", ("head", None))
    form = {"csrf_token": token, "kind": "news", "title_vi": "Tin ngày mai", "publish": "1"}
    refused = editor.post("/can-bo/tin-tuc/moi", data={**form, "published_on": "2999-01-01"})
    assert refused.status_code == 422
    assert _alert(refused.text).count("Ngày đăng không được ở tương lai.") == 1
    assert "published_on" not in _alert(refused.text)
