"""What the document pages share: who counts as staff, the login redirect, problems in Vietnamese words."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Depends, Request
from pydantic import ValidationError

from smartcity.core.errors import AppError
from smartcity.core.i18n import Phrase
from smartcity.core.malware import MalwareFound, ScannerUnavailable
from smartcity.core.security import Actor
from smartcity.documents import kinds, service
from smartcity.signing import service as signing
from smartcity.web.deps import get_db, get_settings, require_page_role
from smartcity.web.forms import refusal_messages
from smartcity.web.templating import request_locale

STAFF = ("specialist", "head", "leader", "clerk")


PROBLEMS = {
    403: "Bạn không có quyền thực hiện thao tác này.",
    404: "Không tìm thấy văn bản.",
    409: "Văn bản không ở trạng thái cho phép thao tác này.",
    413: "Tệp đính kèm quá lớn.",
    415: "Tệp đính kèm phải là tệp PDF.",
    422: "Thông tin chưa hợp lệ",
}


FIELD_NAMES = {
    "type_code": "loại văn bản",
    "office_code": "cơ quan ban hành",
    "subject": "trích yếu",
    "signer_username": "người ký",
    "urgency": "độ khẩn",
    "secrecy": "độ mật",
    "drafting_unit_abbr": "đơn vị soạn thảo",
    "external_agencies": "cơ quan nhận",
    "comment": "ý kiến",
    "body": "nội dung",
    "file": "tệp đính kèm",
}


def _problem(exc: Exception) -> tuple[str, int]:
    """A plain Vietnamese sentence for an error, and its HTTP status."""
    if isinstance(exc, ValidationError):
        fields = {str(e["loc"][-1]) for e in exc.errors() if e["loc"]}
        listed = Phrase.joined((FIELD_NAMES.get(f, f) for f in sorted(fields)), ", ")
        return Phrase("{problem}: {fields}.", problem=Phrase.of(PROBLEMS[422]), fields=listed), 422
    if isinstance(exc, MalwareFound | ScannerUnavailable):
        return refusal_messages(exc)[0], exc.status
    if isinstance(exc, AppError) and exc.errors_for_people:  # the service's own words, written for people
        return Phrase.joined(refusal_messages(exc)), exc.status
    if isinstance(exc, AppError):
        text = PROBLEMS.get(exc.status, "Không thực hiện được thao tác.")
        named = [str(e.get("field", "")) for e in exc.errors if e.get("field")]
        if exc.status == 422:
            listed = Phrase.joined((FIELD_NAMES.get(f, f) for f in named), ", ")
            return Phrase(
                "{problem}: {fields}." if named else "{problem}.", problem=Phrase.of(text), fields=listed
            ), 422
        return text, exc.status
    return "Không thực hiện được thao tác.", 400


def names(request: Request) -> dict[str, dict[str, str]]:
    """The names document pages show for codes and stored values, in the page's language: kinds of
    document, urgencies, secrecy levels."""
    locale = request_locale(request)
    return {
        "type_names": kinds.type_names(locale),
        "urgency_names": kinds.urgency_names(locale),
        "secrecy_names": kinds.secrecy_names(locale),
    }


StaffPage = Annotated[
    Actor, Depends(require_page_role(*STAFF, units=service.OFFICE_UNITS, refusal=service.OFFICE_REFUSAL))
]


def _verification(request: Request, pdf: bytes | None) -> Any:
    if pdf is None:
        return None
    return signing.verify_pdf(get_db(request), pdf, settings=get_settings(request))
