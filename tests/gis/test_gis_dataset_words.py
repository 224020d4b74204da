"""The planning zones' dataset is described in Vietnamese on the Vietnamese page and in English on the
English one, neither borrowing the other's words."""

from __future__ import annotations

from smartcity.core.i18n import written_in_vietnamese
from smartcity.gis.datasets import DATASETS


def test_each_description_keeps_to_its_language() -> None:
    for dataset in DATASETS:
        assert "synthetic" not in dataset.description_vi.lower(), dataset.name
        assert "mô phỏng" in dataset.description_vi, dataset.name  # says it is a demonstration
        assert not written_in_vietnamese(dataset.description_en), dataset.name
