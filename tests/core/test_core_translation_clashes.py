"""The English catalogues are merged into one for a page, so the same Vietnamese words must not be translated
two ways in two catalogues: words that mean different things in different places carry a message context
(msgctxt, `pgettext`), and words that mean the same agree."""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

from smartcity.core.i18n import LOCALE_DIR, get_translations
from smartcity.web.templating import ENVIRONMENT

SRC = Path(__file__).resolve().parents[2] / "src" / "smartcity"


def _translations_by_file(locale_dir: Path) -> dict[tuple[str | None, str], dict[str, str]]:
    """(context, msgid) -> {catalogue: English} over every English catalogue."""
    found: dict[tuple[str | None, str], dict[str, str]] = defaultdict(dict)
    for po_path in sorted((locale_dir / "en" / "LC_MESSAGES").glob("*.po")):
        with po_path.open("rb") as handle:
            for message in read_po(handle, locale="en"):
                msgid = message.id if isinstance(message.id, str) else message.id[0]
                english = message.string if isinstance(message.string, str) else message.string[0]
                if msgid and english:
                    found[(message.context, msgid)][po_path.stem] = english
    return found


def _clashes(locale_dir: Path = LOCALE_DIR) -> dict[tuple[str | None, str], dict[str, str]]:
    found = _translations_by_file(locale_dir)
    return {key: by_file for key, by_file in found.items() if len(set(by_file.values())) > 1}


def test_no_words_are_translated_two_ways_in_two_catalogues():
    clashes = _clashes()
    unexpected = {
        f"{msgid!r}" + (f" (msgctxt {context!r})" if context else ""): by_file
        for (context, msgid), by_file in clashes.items()
    }
    assert not unexpected, (
        "the same Vietnamese words translated differently in two catalogues; make them agree, or give the "
        f"entries of a different meaning a msgctxt and say them with pgettext: {unexpected}"
    )


def test_the_check_finds_a_clash(tmp_path):
    folder = tmp_path / "en" / "LC_MESSAGES"
    folder.mkdir(parents=True)
    header = 'msgid ""\nmsgstr ""\n"Content-Type: text/plain; charset=UTF-8\\n"\n\n'
    (folder / "a.po").write_text(header + 'msgid "Nhẹ"\nmsgstr "Low"\n', encoding="utf-8")
    (folder / "b.po").write_text(
        header + 'msgid "Nhẹ"\nmsgstr "Mild"\n\nmsgctxt "x"\nmsgid "Nhẹ"\nmsgstr "Light"\n', encoding="utf-8"
    )
    assert _clashes(tmp_path) == {(None, "Nhẹ"): {"a": "Low", "b": "Mild"}}


# (domain of the page, template using the words, the expression as the template writes it, English)
WORDS = [
    ("procedures", "procedures/detail.html", 'pgettext("lĩnh vực thủ tục", p.field)', "Ethnic affairs"),
    ("procedures", "procedures/list.html", 'pgettext("lĩnh vực thủ tục", p.field)', "Ethnic affairs"),
    ("dossiers", "dossiers/submit.html", 'pgettext("tờ khai", titles[f.name])', "Ethnicity"),
    ("dossiers", "dossiers/detail.html", 'pgettext("tờ khai", title)', "Ethnicity"),
    ("dossiers", "dossiers/submit.html", 'pgettext("tờ khai", label)', "Mild"),
    ("dossiers", "dossiers/detail.html", 'pgettext("tờ khai", text)', "Mild"),
    ("ioc", "ioc/incidents.html", "_(v[0])", "Low"),
    ("dossiers", "dossiers/submit.html", 'pgettext("tờ khai", label)', "Change"),
    ("gis", "gis/editor.html", 'pgettext("lịch sử sửa", "Thay đổi")', "Changes"),
    ("procedures", "procedures/detail.html", 'pgettext("mức độ dịch vụ công", "Mức độ")', "Online level"),
    ("iot", "iot/alarms.html", '_("Mức độ")', "Severity"),
    ("opendata", "opendata/dataset.html", 'pgettext("khoảng thời gian", "Thời gian")', "Period"),
    ("portal", "portal/contacts.html", 'pgettext("giờ làm việc", "Thời gian")', "Hours"),
    ("health", "health/citizen.html", '_("Thời gian")', "Time"),
    ("education", "education/assets.html", 'pgettext("tình trạng tài sản", "Tình trạng")', "Condition"),
    ("education", "education/student.html", '_("Tình trạng")', "Status"),
    ("education", "education/assets.html", 'pgettext("nhóm tài sản", a.category_name)', "Equipment"),
    ("education", "education/invoice.html", '_("Người nộp")', "Paid by"),
    ("dossiers", "dossiers/list.html", 'pgettext("người nộp hồ sơ", "Người nộp")', "Applicant"),
    ("dossiers", "dossiers/detail.html", 'pgettext("hồ sơ số", "Hồ sơ")', "Dossier"),
    ("investment", "investment/project.html", 'pgettext("số ngày", "ngày")', "days"),
    ("waste", "waste/overview.html", '_("ngày")', "on"),
    ("feedback", "feedback/_staff_actions.html", 'pgettext("thao tác", "Tiếp nhận")', "Accept"),
    ("portal", "portal/home.html", 'pgettext("tin thông báo", "Thông báo")', "Announcements"),
    ("portal", "portal/post.html", 'pgettext("loại tin", kind_names[post.kind])', "Announcement"),
    ("notifications", "notifications/inbox.html", 'pgettext("trạng thái xác nhận", "Xác nhận")', "Acknowledged"),  # noqa: E501
    ("iot", "iot/alarms.html", 'pgettext("lời nhắn", "Nội dung")', "Message"),
    ("environment", "environment/station.html", 'pgettext("chỉ số chất lượng không khí", "Chỉ số")', "Index"),
    ("gis", "gis/planning_map.html", 'pgettext("lớp bản đồ", "Công trình")', "Buildings"),
]  # fmt: skip
# what the templates' variables hold where the words come from data
DATA = {
    "p": {"field": "Dân tộc"},
    "titles": {"ethnicity": "Dân tộc", "kind": "Thay đổi"},
    "f": {"name": "ethnicity"},
    "title": "Dân tộc",
    "text": "Nhẹ",
    "v": ("Nhẹ", "Low", "Minor"),
    "a": {"category_name": "Thiết bị"},
    "kind_names": {"announcement": "Thông báo"},
    "post": {"kind": "announcement"},
}


@pytest.mark.parametrize(("domain", "template", "expression", "english"), WORDS)
def test_a_page_says_each_word_in_the_sense_it_is_used(domain, template, expression, english):
    written = (SRC / template.split("/")[0] / "templates" / template).read_text(encoding="utf-8")
    assert expression in written, f"{template} no longer says {expression}"
    translations = get_translations("en", domain)
    words = {"_": translations.gettext, "gettext": translations.gettext, "pgettext": translations.pgettext}
    data = dict(DATA, label="Nhẹ" if english == "Mild" else "Thay đổi")
    said = ENVIRONMENT.from_string("{{ " + expression + " }}").render(words | data)
    assert said == english
    vietnamese = get_translations("vi", domain)
    words = {"_": vietnamese.gettext, "gettext": vietnamese.gettext, "pgettext": vietnamese.pgettext}
    assert ENVIRONMENT.from_string("{{ " + expression + " }}").render(words | data) != english


def test_a_word_without_an_entry_in_its_sense_is_said_in_its_usual_sense():
    english = get_translations("en", "dossiers")
    assert english.pgettext("tờ khai", "Nam") == english.gettext("Nam") == "Male"
    assert english.pgettext("tờ khai", "Không có từ này") == "Không có từ này"
    assert get_translations("vi", "dossiers").pgettext("tờ khai", "Nhẹ") == "Nhẹ"
