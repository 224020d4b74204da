"""Every link and work label a domain offers the page shell has its English words (no Vietnamese left on an
English page's menus, staff links or work list)."""

from __future__ import annotations

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
