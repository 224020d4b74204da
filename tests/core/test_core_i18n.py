"""English catalogues are one per domain; a domain's own translation wins on its pages."""

from __future__ import annotations

from smartcity.core.i18n import get_translations, negotiate_locale, written_in_vietnamese


def test_the_same_vietnamese_words_keep_each_domains_translation():
    assert get_translations("en", "iot").gettext("Mức độ") == "Severity"
    assert get_translations("en", "procedures").gettext("Mức độ") == "Online level"


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
