"""An education import past the size limit is refused in megabytes, in the page's language."""

from __future__ import annotations

import asyncio
import io

import pytest
from starlette.datastructures import UploadFile

from smartcity.core.config import Settings
from smartcity.core.errors import PayloadTooLarge
from smartcity.core.i18n import get_translations
from smartcity.education.api import read_xlsx
from smartcity.education.config import EducationSettings


def test_a_spreadsheet_past_the_limit_is_refused_in_megabytes(monkeypatch):
    monkeypatch.setattr(Settings, "section", lambda self, kind: EducationSettings(max_import_bytes=1_048_576))
    upload = UploadFile(io.BytesIO(b"PK\x03\x04" + b"x" * 1_100_000), filename="hs.xlsx")
    with pytest.raises(PayloadTooLarge) as refused:
        asyncio.run(read_xlsx(upload, Settings()))
    assert str(refused.value.detail) == "Tệp quá lớn (tối đa 1 MB)."
    assert get_translations("en").gettext(refused.value.detail) == "The file is too large (at most 1 MB)."
