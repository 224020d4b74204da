"""Public dataset of the procedures catalogue: every active administrative procedure of the city."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from smartcity.core.config import Settings
from smartcity.core.datasets import Column, Dataset
from smartcity.core.db import Database
from smartcity.procedures.service import list_procedures

BATCH = 500


def procedure_rows(db: Database, settings: Settings) -> Iterable[dict[str, Any]]:
    """One row per active procedure: code, name, field, online level, time, fees."""
    offset = 0
    while True:
        page = list_procedures(db, limit=BATCH, offset=offset)
        for p in page.items:
            yield {
                "code": p.code,
                "name": p.name,
                "field": p.field,
                "level": p.level,
                "online_scope": {"toan_trinh": "Toàn trình", "mot_phan": "Một phần"}.get(
                    p.online_scope or "", ""
                ),
                "processing_days": p.processing_days,
                "fee_total_vnd": p.fee_total_vnd,
                "url": f"/thu-tuc/{p.code}",
            }
        offset += BATCH
        if offset >= page.total:
            return


DATASETS = [
    Dataset(
        name="procedures-catalogue",
        title_vi="Danh mục thủ tục hành chính",
        title_en="Catalogue of administrative procedures",
        description_vi=(
            "Các thủ tục hành chính thực hiện tại thành phố: lĩnh vực, mức độ dịch vụ công trực tuyến, "
            "thời hạn giải quyết (ngày làm việc) và tổng phí, lệ phí."
        ),
        description_en=(
            "The administrative procedures handled in the city: field, online service level, processing time "
            "(working days) and total fees and charges."
        ),
        themes=("GOVE",),
        keywords=("thủ tục hành chính", "dịch vụ công", "TTHC", "procedures", "public services"),
        frequency="monthly",
        columns=(
            Column("code", "Mã thủ tục", "Code"),
            Column("name", "Tên thủ tục", "Name"),
            Column("field", "Lĩnh vực", "Field"),
            Column("level", "Mức độ", "Online level", "integer"),
            Column("online_scope", "Phạm vi trực tuyến", "Online scope"),
            Column(
                "processing_days", "Thời hạn (ngày làm việc)", "Processing time (working days)", "integer"
            ),
            Column("fee_total_vnd", "Tổng phí, lệ phí (đồng)", "Total fees (VND)", "integer"),
            Column("url", "Trang thủ tục", "Procedure page"),
        ),
        rows=procedure_rows,
    ),
]
