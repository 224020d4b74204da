"""Every e-form of the catalogue says its field titles and choices in English too (procedures.po)."""

from __future__ import annotations

from functools import partial
from typing import Any

from smartcity.core.i18n import get_translations
from smartcity.procedures.catalogue import build_catalogue


def _form_words(schema: dict[str, Any]) -> set[str]:
    """The titles of a schema's fields and choices (the wards' names are the city's, not the form's)."""
    words = set()
    for name, spec in schema.get("properties", {}).items():
        words.add(spec.get("title", name))
        if name != "ward_code":
            words |= {choice["title"] for choice in spec.get("oneOf", []) if "title" in choice}
    return words


def test_every_form_title_and_choice_of_every_procedure_has_its_english():
    english = partial(get_translations("en", "dossiers").pgettext, "tờ khai")  # as the e-form page asks
    words = {
        word
        for record in build_catalogue()
        for schema in (record["form_schema"], record["result_schema"])
        for word in _form_words(schema)
    }
    assert len(words) > 250
    missing = sorted(word for word in words if english(word) == word)
    assert not missing, f"add their English to locale/en/LC_MESSAGES/procedures.po: {missing}"
