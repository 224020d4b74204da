"""The legal basis of every fee and of every exemption reads in English on an English page."""

from __future__ import annotations

from typing import Any

from smartcity.core.i18n import get_translations
from smartcity.education.service import reference
from smartcity.web.templating import ENVIRONMENT


def _bases(node: Any) -> set[str]:
    if isinstance(node, dict):
        found = {node["legal_basis"]} if isinstance(node.get("legal_basis"), str) else set()
        return found.union(*(_bases(value) for value in node.values()))
    if isinstance(node, list):
        return set().union(*(_bases(value) for value in node))
    return set()


def test_every_legal_basis_of_the_fees_has_its_english() -> None:
    english = get_translations("en", "education").gettext
    bases = _bases(reference("fees.json")) - {""}
    assert len(bases) >= 10
    assert not sorted(basis for basis in bases if english(basis) == basis)


def test_the_fee_lines_say_their_legal_basis_in_the_pages_language() -> None:
    template = ENVIRONMENT.get_template("education/_lines.html")
    basis = "Nghị định 105/2020/NĐ-CP, Điều 7"
    line = {"name": "Tiền ăn", "name_en": "Meals", "amount": 1, "reduction": 0, "net": 1}
    invoice = {"lines": [{**line, "legal_basis": basis, "reduction_basis": basis}], "total_vnd": 1}
    english = get_translations("en", "education").gettext
    page = template.render(_=english, locale="en", invoice=invoice)
    assert page.count("Decree 105/2020/NĐ-CP, Article 7") == 2 and "Nghị định" not in page
    empty = template.render(
        _=english, locale="en", invoice={"lines": [{**line, "legal_basis": ""}], "total_vnd": 1}
    )
    assert "Project-Id-Version" not in empty  # no basis is no text, not the catalogue's header
