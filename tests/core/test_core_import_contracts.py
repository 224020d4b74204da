"""The import contracts `make lint` runs: a layer below the domains (core, web) reaching any listed domain,
directly or through another module, breaks its contract; the domain list is read from domains.DOMAINS."""

from __future__ import annotations

import grimp
from tools.import_contracts import NoDomainContract, _domains


def _graph(*imports: tuple[str, str]) -> grimp.ImportGraph:
    graph = grimp.ImportGraph()
    for importer, imported in imports:
        for module in (importer, imported):
            for depth in range(1, module.count(".") + 2):
                graph.add_module(".".join(module.split(".")[:depth]))
        graph.add_import(importer=importer, imported=imported)
    return graph


def _contract(source: str) -> NoDomainContract:
    options = {"source": source, "also_forbidden": ["smartcity.web"]}
    return NoDomainContract(
        name="test", session_options={"root_packages": ["smartcity"]}, contract_options=options
    )


def test_every_listed_domain_is_forbidden_below_the_domains_the_newest_too():
    assert {"health", "education", "investment"} <= set(_domains("smartcity"))
    clean = _graph(("smartcity.core.numbers", "smartcity.core.clock"))
    assert _contract("smartcity.core").check(clean, verbose=False).kept
    direct = _graph(("smartcity.core.numbers", "smartcity.education.service"))
    assert not _contract("smartcity.core").check(direct, verbose=False).kept


def test_a_chain_through_another_module_breaks_it_too():
    chain = _graph(
        ("smartcity.core.numbers", "smartcity.helpers"), ("smartcity.helpers", "smartcity.investment.service")
    )
    check = _contract("smartcity.core").check(chain, verbose=False)
    assert not check.kept
    assert check.metadata["broken"] == [
        ("smartcity.core.numbers", "smartcity.helpers", "smartcity.investment.service")
    ]
    assert (
        not _contract("smartcity.core").check(_graph(("smartcity.core.db", "smartcity.web.deps")), False).kept
    )
