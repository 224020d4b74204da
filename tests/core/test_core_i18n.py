"""English catalogues are one per domain; a domain's own translation wins on its pages."""

from __future__ import annotations

from smartcity.core.i18n import Phrase, get_translations, negotiate_locale, said, written_in_vietnamese


def test_the_same_vietnamese_words_keep_each_meanings_translation():
    assert get_translations("en", "iot").gettext("Mức độ") == "Severity"
    procedures = get_translations("en", "procedures")
    assert procedures.pgettext("mức độ dịch vụ công", "Mức độ") == "Online level"
    assert procedures.pgettext("no such context", "Mức độ") == "Severity"  # the word's usual sense


def test_a_domain_still_finds_the_words_only_another_catalogue_has():
    assert get_translations("en", "iot").gettext("Kết quả giải quyết") == "Result"


def test_vietnamese_is_the_source_language():
    assert get_translations("vi", "iot").gettext("Mức độ") == "Mức độ"


def test_vietnamese_unless_english_was_chosen():
    assert negotiate_locale("en", "vi") == "en"
    assert negotiate_locale(None, "en") == "en"
    assert negotiate_locale(None, None) == "vi"
    assert negotiate_locale("fr", None) == "vi"


def test_a_sentence_for_people_is_told_from_a_developers_message():
    assert written_in_vietnamese("Không tìm thấy hồ sơ.")
    assert written_in_vietnamese("ĐÃ ĐÓNG")  # capitals too
    assert not written_in_vietnamese("No quarantine case 12")
    assert not written_in_vietnamese("No route /can-bo/ho-so/HS-2025-000123")


def test_a_text_kept_in_both_languages_reads_as_the_page_does():
    from smartcity.core.i18n import in_language

    assert in_language("Phường Phú Lợi", "Phú Lợi Ward", "en") == "Phú Lợi Ward"
    assert in_language("Phường Phú Lợi", "Phú Lợi Ward", "vi") == "Phường Phú Lợi"
    assert in_language("Phường Phú Lợi", "", "en") == "Phường Phú Lợi"  # no English written: the Vietnamese
    assert in_language("Phường Phú Lợi", None, "en") == "Phường Phú Lợi"


def test_a_persons_words_are_said_as_written() -> None:
    """`said(..., as_written=True)`: a text with no kept phrase is shown as it is on every page, even where a
    catalogue happens to have the same words; a kept phrase is still translated."""
    english = get_translations("en", "ioc")
    assert english.gettext(said("Cháy kho hàng", None, as_written=True)) == "Cháy kho hàng"
    assert english.gettext(said("Cháy kho hàng", None)) != "Cháy kho hàng"  # looked up as a sentence
    kept = Phrase("Phản ánh khẩn {code}", code="PA-1").to_json()
    assert english.gettext(said("Phản ánh khẩn PA-1", kept, as_written=True)) == "Urgent report PA-1"
    assert said("", None, as_written=True) == ""
