"""Password policy: length by kind of account, not a common (breached) password, not the username."""

from __future__ import annotations

from functools import lru_cache
from importlib.resources import files

from smartcity.core.errors import ValidationFailed
from smartcity.core.i18n import Phrase

MIN_STAFF_LENGTH = 12
MIN_CITIZEN_LENGTH = 10
MAX_LENGTH = 1024


@lru_cache(maxsize=1)
def common_passwords() -> frozenset[str]:
    """The 20,000 most common passwords shipped with the package (data/COMMON-PASSWORDS.md)."""
    text = files("smartcity.accounts").joinpath("data/common-passwords.txt").read_text(encoding="utf-8")
    return frozenset(line.strip().lower() for line in text.splitlines() if line.strip())


def check_password(
    password: str, *, username: str = "", staff: bool = False, field: str = "password"
) -> None:
    """ValidationFailed (422) with a Vietnamese message unless `password` meets the policy."""
    minimum = MIN_STAFF_LENGTH if staff else MIN_CITIZEN_LENGTH
    if len(password) < minimum:
        said = (
            Phrase("Mật khẩu tài khoản cán bộ phải có ít nhất {minimum} ký tự.", minimum=minimum)
            if staff
            else Phrase("Mật khẩu tài khoản công dân phải có ít nhất {minimum} ký tự.", minimum=minimum)
        )
        raise ValidationFailed.for_field(field, said)
    if len(password) > MAX_LENGTH:
        raise ValidationFailed.for_field(
            field, Phrase("Mật khẩu dài tối đa {maximum} ký tự.", maximum=MAX_LENGTH)
        )
    if username and password.strip().lower() == username.strip().lower():
        raise ValidationFailed.for_field(field, "Mật khẩu không được trùng với tên đăng nhập.")
    if password.lower() in common_passwords():
        raise ValidationFailed.for_field(
            field, "Mật khẩu này nằm trong danh sách mật khẩu phổ biến đã bị lộ; hãy chọn mật khẩu khác."
        )
