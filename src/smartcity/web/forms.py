"""What a page tells a person when the service refuses: the service's own words where they are written for
people (in Vietnamese), else a plain sentence for the kind of refusal; never a developer's English message."""

from __future__ import annotations

from smartcity.core.errors import AppError
from smartcity.core.i18n import written_in_vietnamese

REFUSAL_SENTENCES = {
    400: "Thông tin gửi lên chưa hợp lệ; vui lòng kiểm tra lại.",
    401: "Vui lòng đăng nhập để tiếp tục.",
    403: "Bạn không có quyền thực hiện thao tác này.",
    404: "Không tìm thấy nội dung bạn yêu cầu.",
    409: "Thao tác này không thực hiện được ở trạng thái hiện tại.",
    413: "Tệp gửi lên quá lớn.",
    415: "Loại tệp này không được nhận.",
    422: "Thông tin chưa hợp lệ; vui lòng kiểm tra lại.",
    429: "Bạn thao tác quá nhanh, vui lòng thử lại sau.",
}
OTHERWISE = "Không thực hiện được thao tác; vui lòng thử lại sau."


def refusal_sentence(exc: AppError) -> str:
    """The one sentence a page shows for a refusal."""
    return exc.message_for_people or REFUSAL_SENTENCES.get(exc.status, OTHERWISE)


def refusal_messages(exc: AppError) -> list[str]:
    """Every field message of a refusal written for people, or else its one sentence."""
    errors = getattr(exc, "errors", None) or []
    said = [str(error["message"]) for error in errors if written_in_vietnamese(str(error.get("message", "")))]
    return said or [refusal_sentence(exc)]


def fixable_by_the_user(exc: AppError) -> bool:
    """A refusal to show back on the form (not a missing page, a forbidden act or a server fault)."""
    return exc.status < 500 and exc.status not in (403, 404)
