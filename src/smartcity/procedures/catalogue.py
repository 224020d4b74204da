"""The city's catalogue as shipped data: full definitions (`full*.json`) plus placeholders, with its levels.

A full definition replaces the placeholder of the same name and keeps its code, so that codes stay stable
and the totals per online level stay those the city publishes.
"""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path
from typing import Any

from smartcity.city import service as city

DATA_DIR = Path(__file__).resolve().parent / "data"
PLACEHOLDER_NOTE = "Catalogue placeholder: shorter definition; check against the published procedure."
MISSING_PARTS = ("thành phần hồ sơ", "phí, lệ phí", "căn cứ pháp lý", "biểu mẫu (tờ khai điện tử)")
SCOPE_BY_LEVEL = {4: "toan_trinh", 3: "mot_phan"}


def ward_options(pack: str = "thu-dau-mot") -> list[dict[str, str]]:
    """JSON Schema `oneOf` entries for a ward code: the wards before the reorganisation, each with the ward
    its code names since (city's service owns both lists and the date)."""
    changed_on = city.reorganisation_date(pack)
    options = []
    for code in city.ward_codes_on(changed_on - timedelta(days=1), pack):
        title = city.unit_name_on(code, changed_on - timedelta(days=1), pack) or code
        if successor := city.unit_name_on(code, changed_on, pack):
            title += f" (từ {changed_on:%d/%m/%Y}: {successor})"
        options.append({"const": code, "title": title})
    return options


def _with_wards(schema: dict[str, Any], wards: list[dict[str, str]]) -> dict[str, Any]:
    properties = schema.get("properties", {})
    if "ward_code" in properties and "oneOf" not in properties["ward_code"]:
        properties["ward_code"] = {**properties["ward_code"], "oneOf": wards}
    return schema


def distribute_levels(count: int, quotas: dict[int, int]) -> list[int]:
    """`count` levels spread evenly so that each level appears exactly its quota (quotas sum to count)."""
    if sum(quotas.values()) != count:
        raise ValueError(f"level quotas sum to {sum(quotas.values())}, not {count}")
    given = dict.fromkeys(quotas, 0)
    levels = []
    for index in range(count):
        level = max(quotas, key=lambda lv: (quotas[lv] * (index + 1) / count - given[lv], lv))
        given[level] += 1
        levels.append(level)
    return levels


def _placeholder(
    group: dict[str, Any], name: str, number: int, level: int, wards: list[dict[str, str]]
) -> dict[str, Any]:
    return {
        "code": f"TDM-{group['field_code']}-{number:03d}",
        "name": name,
        "field": group["field"],
        "field_code": group["field_code"],
        "level": level,
        "online_scope": SCOPE_BY_LEVEL.get(level),
        "authority_level": group["authority_level"],
        "processing_days": group["processing_days"],
        "fees": [],
        "required_documents": [
            {
                "code": "don_de_nghi",
                "name": "Đơn hoặc tờ khai đề nghị (theo mẫu)",
                "originals": 1,
                "copies": 0,
                "required": True,
            },
            {
                "code": "giay_to_kem_theo",
                "name": "Giấy tờ kèm theo theo quy định của thủ tục",
                "originals": 0,
                "copies": 1,
                "required": False,
            },
        ],
        "form_schema": _with_wards(
            {
                "type": "object",
                "title": name,
                "required": ["request"],
                "properties": {
                    "request": {
                        "type": "string",
                        "title": "Nội dung đề nghị",
                        "minLength": 3,
                        "maxLength": 4000,
                    },
                    "ward_code": {"type": "string", "title": "Phường"},
                },
            },
            wards,
        ),
        "result_schema": {
            "type": "object",
            "properties": {
                "result_number": {"type": "string", "title": "Số văn bản kết quả", "maxLength": 40}
            },
        },
        "legal_basis": "",
        "agency_code": group["agency_code"],
        "result_type": group["result_type"],
        "workflow": group["workflow"],
        "interlinked": name.startswith("Liên thông"),
        "is_placeholder": True,
        "notes": PLACEHOLDER_NOTE,
    }


def _read(pack: str, name: str) -> dict[str, Any]:
    path = DATA_DIR / pack / name
    if not path.exists():
        raise FileNotFoundError(f"the city pack {pack!r} has no procedure catalogue ({path.name})")
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return data


def read_full_definitions(pack: str = "thu-dau-mot") -> list[dict[str, Any]]:
    """The full definitions of the pack, from every `full*.json` data file, in file order."""
    folder = DATA_DIR / pack
    files = sorted(folder.glob("full*.json"))
    if not files:
        raise FileNotFoundError(f"the city pack {pack!r} has no full procedure definitions (full*.json)")
    return [p for path in files for p in _read(pack, path.name)["procedures"]]


def build_catalogue(pack: str = "thu-dau-mot") -> list[dict[str, Any]]:
    """Every procedure of the pack as plain dicts, full definitions first, with the declared level counts."""
    full = [dict(p, is_placeholder=False) for p in read_full_definitions(pack)]
    wards = ward_options(pack)
    for record in full:
        record["form_schema"] = _with_wards(record["form_schema"], wards)
    catalogue = _read(pack, "catalogue.json")
    quotas = {int(k): v for k, v in catalogue["levels"].items()}
    for record in full:
        quotas[record["level"]] -= 1
    if any(v < 0 for v in quotas.values()):
        raise ValueError(f"the full definitions exceed the published level counts: {quotas}")
    defined = {r["name"]: r["code"] for r in full}
    taken = set(defined.values())
    numbered = []
    counters: dict[str, int] = {}
    for group in catalogue["fields"]:
        for name in group["names"]:
            number = counters.get(group["field_code"], 0) + 1
            while f"TDM-{group['field_code']}-{number:03d}" in taken - {defined.get(name)}:
                number += 1
            counters[group["field_code"]] = number
            if name in defined:
                if defined[name] != f"TDM-{group['field_code']}-{number:03d}":
                    raise ValueError(f"{name!r} must keep its catalogue code, not {defined[name]}")
                continue
            numbered.append((group, name, number))
    levels = distribute_levels(len(numbered), quotas)
    records = list(full)
    for (group, name, number), level in zip(numbered, levels, strict=True):
        records.append(_placeholder(group, name, number, level, wards))
    if len(records) != catalogue["total"]:
        raise ValueError(f"the catalogue has {len(records)} procedures, not {catalogue['total']}")
    return records
