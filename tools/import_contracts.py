"""Custom import-linter contracts over the domains listed in `smartcity.domains.DOMAINS` (a new domain is
covered as soon as it is listed there).

- domain_boundaries: a module of domain A may import, of another domain B, only `B.service` (module or
  package), `B.events` and `B.schemas`. The assembly modules (`smartcity.domains`, `smartcity.cli`,
  `smartcity.demo`, the migrations) are exempt: they put the domains together.
- no_domain: a layer below the domains (core, web) imports no domain at all, nor the modules named in
  `also_forbidden` (the assembly).
"""

from __future__ import annotations

import ast
from pathlib import Path

import grimp
from importlinter import Contract, ContractCheck, fields, output

FRONT_DOORS = ("service", "events", "schemas")


def _domains(root: str) -> list[str]:
    """The domain names listed in DOMAINS of the assembly module (read as text: nothing is imported)."""
    source = Path(__file__).resolve().parents[1] / "src" / root / "domains.py"
    for node in ast.walk(ast.parse(source.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Assign) and any(getattr(t, "id", "") == "DOMAINS" for t in node.targets):
            return list(ast.literal_eval(node.value))
    raise RuntimeError("DOMAINS not found in domains.py")


class DomainBoundariesContract(Contract):
    """Imports between two domains reach only the other domain's service, events and schemas."""

    type_name = "domain_boundaries"
    root = fields.StringField()

    def check(self, graph: grimp.ImportGraph, verbose: bool) -> ContractCheck:
        root = str(self.root)
        domains = set(_domains(root))
        broken = []
        for importer in sorted(graph.modules):
            owner = _domain_of(importer, root, domains)
            if owner is None:
                continue
            for imported in sorted(graph.find_modules_directly_imported_by(importer)):
                other = _domain_of(imported, root, domains)
                if other is None or other == owner or _is_front_door(imported, root, other):
                    continue
                broken.append((importer, imported))
        return ContractCheck(kept=not broken, metadata={"broken": broken})

    def render_broken_contract(self, check: ContractCheck) -> None:
        for importer, imported in check.metadata["broken"]:
            output.print_error(f"{importer} imports {imported}: use its service, events or schemas")
        output.new_line()


def _domain_of(module: str, root: str, domains: set[str]) -> str | None:
    parts = module.split(".")
    if len(parts) >= 2 and parts[0] == root and parts[1] in domains:
        return parts[1]
    return None


def _is_front_door(module: str, root: str, domain: str) -> bool:
    rest = module.split(".")[2:]
    return not rest or rest[0] in FRONT_DOORS


class NoDomainContract(Contract):
    """A package (core, web) imports no domain, and none of `also_forbidden`."""

    type_name = "no_domain"
    source = fields.StringField()
    also_forbidden = fields.ListField(subfield=fields.StringField(), required=False)

    def check(self, graph: grimp.ImportGraph, verbose: bool) -> ContractCheck:
        source, root = str(self.source), str(self.source).split(".")[0]
        forbidden = [f"{root}.{domain}" for domain in _domains(root)]
        forbidden += [str(module) for module in (self.also_forbidden or [])]
        broken = []  # (chain of modules from the source to the forbidden module), directly or not
        for module in (m for m in forbidden if m in graph.modules):
            if graph.chain_exists(importer=source, imported=module, as_packages=True):
                chain = graph.find_shortest_chain(importer=source, imported=module, as_packages=True)
                broken.append(chain or (source, module))
        return ContractCheck(kept=not broken, metadata={"broken": broken})

    def render_broken_contract(self, check: ContractCheck) -> None:
        for chain in check.metadata["broken"]:
            output.print_error(" -> ".join(chain) + ": a layer below the domains reaches none of them")
        output.new_line()
