"""What the education pages share: the CSRF check, messages after an action, page and redirect helpers."""

from __future__ import annotations

from functools import partial
from typing import Any

from fastapi import Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from smartcity.core.errors import AppError, ValidationFailed
from smartcity.education import labels
from smartcity.web.deps import verify_csrf
from smartcity.web.forms import fixable_by_the_user, redirect_with_notice, refusal_messages
from smartcity.web.templating import render, request_locale

CSRF = [Depends(verify_csrf)]


MESSAGES = {
    "paid": "Thanh toán thành công. Biên lai đã sẵn sàng.",
    "declined": "Giao dịch không thành công; hóa đơn vẫn chưa được thanh toán.",
    "attendance": "Đã lưu điểm danh.",
    "invoiced": "Đã lập hóa đơn.",
    "counter": "Đã thu tiền và lập biên lai.",
    "counted": "Đã lưu kết quả kiểm đếm.",
    "closed": "Đã khóa sổ; sổ tài sản đã được cập nhật theo kết quả kiểm kê.",
    "month_closed": "Đã khóa sổ đối chiếu tháng.",
    "linked": "Đã liên kết tài khoản phụ huynh; phụ huynh xem được học phí, điểm danh, thời khóa biểu.",
    "exempted": "Đã ghi nhận diện miễn, giảm; áp dụng cho các hóa đơn lập từ nay.",
    "transferred": "Đã chuyển trường; hồ sơ của học sinh đã sang trường mới.",
    "asset_moved": "Đã điều chuyển tài sản; trường nhận đã có tài sản trong sổ.",
    "written_off": "Đã ghi giảm tài sản theo quyết định thanh lý.",
}


def names(locale: str) -> dict[str, Any]:
    """The names every education page may show for codes, in the page's language."""
    return {
        "level_names": labels.level_names(locale),
        "grade_name": partial(labels.grade_name, locale=locale),
        "fee_names": labels.fee_type_names(locale),
        "category_names": labels.category_names(locale),
        "sex_names": labels.sex_names(locale),
        "subject_names": labels.subject_names(locale),
    }


def _page(request: Request, template: str, context: dict[str, Any], status_code: int = 200) -> HTMLResponse:
    message = MESSAGES.get(request.query_params.get("msg", ""), "")
    words = names(request_locale(request))
    return render(
        request, f"education/{template}", {"message": message, **words, **context}, status_code=status_code
    )


def _back(request: Request, url: str, **params: str) -> RedirectResponse:
    return redirect_with_notice(request, url, **params)


def _attempt(request: Request, url: str, action: Any, msg: str, **params: str) -> RedirectResponse:
    """Run an office action; a refusal the clerk can fix comes back to the form as a plain message."""
    try:
        action()
    except (ValidationFailed, AppError) as exc:
        if not fixable_by_the_user(exc):
            raise
        return _back(request, url, **params, error=refusal_messages(exc)[0])
    return _back(request, url, **params, msg=msg)
