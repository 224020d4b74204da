"""Every link and work label a domain offers the page shell has its English words (no Vietnamese left on an
English page's menus, staff links or work list)."""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

from babel.messages.pofile import read_po

import smartcity
from smartcity.accounts.views import BUILTIN_LINKS
from smartcity.core.i18n import get_translations
from smartcity.domains import collect


def _labels() -> list[tuple[str, str]]:
    offered = [("accounts", link["label"]) for link in BUILTIN_LINKS]
    for part, attribute in (("views", "PUBLIC_LINKS"), ("views", "STAFF_LINKS"), ("worklist", "WORKLIST")):
        for domain, links in collect(part, attribute):
            offered += [(domain, link["label"]) for link in links if isinstance(link, dict)]
    return offered


def test_every_offered_label_reads_in_english():
    labels = _labels()
    assert len(labels) > 40 and any(domain == "ioc" for domain, _label in labels)
    untranslated = [
        (domain, label) for domain, label in labels if get_translations("en", domain).gettext(label) == label
    ]
    assert untranslated == []


def test_every_catalogue_reads_and_says_each_sentence_once():
    folder = Path(smartcity.__file__).parent / "locale" / "en" / "LC_MESSAGES"
    catalogues = sorted(folder.glob("*.po"))
    assert len(catalogues) > 15
    for path in catalogues:
        with path.open("rb") as handle:
            read_po(handle, locale="en")  # raises on a broken entry
        # a sentence once per context: "Hồ sơ" alone and "Hồ sơ" as a dossier's name (msgctxt) are two entries
        ids = re.findall(
            r'^(?:msgctxt "(.*)"\n)?msgid "(.+)"$', path.read_text(encoding="utf-8"), flags=re.MULTILINE
        )
        assert [i for i, n in Counter(ids).items() if n > 1] == [], path.name
