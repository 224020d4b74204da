"""What a page tells a person when the service refuses: the service's own words where they are written for
people (in Vietnamese), else a plain sentence for the kind of refusal; never a developer's English message."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import Any
from urllib.parse import urlencode

from fastapi import Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import RedirectResponse
from itsdangerous import BadSignature, URLSafeTimedSerializer
from pydantic import ValidationError

from smartcity.core import numbers
from smartcity.core.errors import AppError, as_text
from smartcity.core.i18n import Phrase, get_translations, phrase_from_json
from smartcity.web.deps import get_settings
from smartcity.web.templating import request_locale

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
NOTICES = ("error", "errors", "loi", "message")  # query parameters that carry a message for the page
NOTICE_SALT = "page-notice"
NOTICE_MAX_AGE = 600  # seconds: a notice is read by the page the form redirects to, at once


# What a typed form or query field's mistake says to a person, by pydantic's error type (its English `msg`
# is for the API's developers). "{ge}" and the like are filled from the error's context.
MISTAKE_WORDS = {
    "missing": "Chưa điền.",
    "int_parsing": "Phải là một số nguyên.",
    "int_from_float": "Phải là một số nguyên.",
    "float_parsing": "Phải là một số.",
    "decimal_parsing": "Phải là một số.",
    "finite_number": "Phải là một số.",
    "bool_parsing": "Phải là có hoặc không.",
    "date_parsing": "Phải là một ngày (ngày/tháng/năm).",
    "date_from_datetime_parsing": "Phải là một ngày (ngày/tháng/năm).",
    "date_from_datetime_inexact": "Phải là một ngày (ngày/tháng/năm).",
    "datetime_parsing": "Phải là ngày và giờ.",
    "datetime_from_date_parsing": "Phải là ngày và giờ.",
    "time_parsing": "Phải là một giờ (giờ:phút).",
    "greater_than_equal": "Phải từ {ge} trở lên.",
    "greater_than": "Phải lớn hơn {gt}.",
    "less_than_equal": "Không được quá {le}.",
    "less_than": "Phải nhỏ hơn {lt}.",
    "string_too_short": "Phải có ít nhất {min_length} ký tự.",
    "string_too_long": "Không được dài quá {max_length} ký tự.",
    "too_short": "Phải có ít nhất {min_length} mục.",
    "too_long": "Không được quá {max_length} mục.",
    "literal_error": "Hãy chọn một trong các lựa chọn cho sẵn.",
    "enum": "Hãy chọn một trong các lựa chọn cho sẵn.",
}
SOME_MISTAKE = "Chưa đúng định dạng."


def mistake_in_words(
    error: dict[str, Any], title: str | None = None, gettext: Callable[[str], str] = str, locale: str = "vi"
) -> str:
    """One validation error of a form or query field (pydantic's) as a person reads it: "Năm: Phải là một
    số nguyên." with the field's title, or the sentence alone where the field has none — in the page's
    language with its `gettext` (the words and the title translated before the bounds are filled in, a
    bound's digits written as `locale` writes them: 2,5 or 2.5)."""
    words = gettext(MISTAKE_WORDS.get(str(error.get("type", "")), SOME_MISTAKE))
    context = {key: _plain(value, locale) for key, value in (error.get("ctx") or {}).items()}
    try:
        sentence = words.format(**context)
    except (KeyError, IndexError):
        sentence = gettext(SOME_MISTAKE)
    return f"{gettext(title)}: {sentence}" if title else sentence


def form_mistakes(
    request: Request,
    exc: ValidationError | RequestValidationError,
    titles: Mapping[str, str],
    domain: str = "web",
) -> list[str]:
    """Each mistake of a form (checked by the route or by the view itself), named by its field's label, in
    the page's language."""
    locale = request_locale(request)
    words = get_translations(locale, domain).gettext
    return [
        mistake_in_words(dict(e), titles.get(str((e.get("loc") or ("",))[-1])), words, locale)
        for e in exc.errors()
    ]


def _plain(value: Any, locale: str) -> str:
    """A bound in a sentence: 2.5 as "2,5" (Vietnamese) or "2.5" (English), a whole number as itself."""
    if isinstance(value, float | Decimal):
        return numbers.number(value, locale=locale, max_digits=6)
    return str(value)


def refusal_sentence(exc: AppError) -> str:
    """The one sentence a page shows for a refusal."""
    return exc.message_for_people or REFUSAL_SENTENCES.get(exc.status, OTHERWISE)


def refusal_messages(exc: AppError) -> list[str]:
    """Every field message of a refusal written for people, or else its one sentence."""
    return [as_text(error["message"]) for error in exc.errors_for_people] or [refusal_sentence(exc)]


def fixable_by_the_user(exc: AppError) -> bool:
    """A refusal to show back on the form (not a missing page, a forbidden act or a server fault)."""
    return exc.status < 500 and exc.status not in (403, 404)


def _notices(request: Request) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(get_settings(request).resolved_secret_key, salt=NOTICE_SALT)


def redirect_with_notice(request: Request, url: str, **params: str) -> RedirectResponse:
    """A 303 to `url` with `params` in its query string, the messages among them (NOTICES) signed by the
    platform: a page shows only what the platform wrote, never text someone else put in a link."""
    signer = _notices(request)
    query = {
        name: signer.dumps(_carried(value)) if name in NOTICES else value for name, value in params.items()
    }
    return RedirectResponse(f"{url}?{urlencode(query)}" if query else url, status_code=303)


def _carried(value: str) -> Any:
    """What a link carries of a message: a `Phrase` as its template and parts (for the next page)."""
    return value.to_json() if isinstance(value, Phrase) else value


def notice(request: Request, name: str = "error") -> str:
    """The signed message `name` of this page's query string; "" when missing, old or not the platform's."""
    token = request.query_params.get(name, "")
    try:
        return phrase_from_json(_notices(request).loads(token, max_age=NOTICE_MAX_AGE)) if token else ""
    except BadSignature:
        return ""
