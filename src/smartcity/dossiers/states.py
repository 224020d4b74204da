"""Dossier states as national-portal-connected systems number them (GLOSSARY.md)."""

from __future__ import annotations

SUBMITTED = 1  # mới đăng ký
ACCEPTED = 2  # được tiếp nhận
REFUSED = 3  # không được tiếp nhận
PROCESSING = 4  # đang xử lý
SUPPLEMENT = 5  # yêu cầu bổ sung giấy tờ (the clock stops)
PAYMENT = 6  # yêu cầu thực hiện nghĩa vụ tài chính
WITHDRAWN = 7  # công dân yêu cầu rút hồ sơ
STOPPED = 8  # dừng xử lý
DONE = 9  # đã xử lý xong
RETURNED = 10  # đã trả kết quả

STATE_NAMES: dict[int, tuple[str, str]] = {
    SUBMITTED: ("Mới đăng ký", "Submitted"),
    ACCEPTED: ("Được tiếp nhận", "Accepted"),
    REFUSED: ("Không được tiếp nhận", "Refused at intake"),
    PROCESSING: ("Đang xử lý", "Processing"),
    SUPPLEMENT: ("Yêu cầu bổ sung giấy tờ", "Supplement requested"),
    PAYMENT: ("Yêu cầu thực hiện nghĩa vụ tài chính", "Payment required"),
    WITHDRAWN: ("Công dân yêu cầu rút hồ sơ", "Withdrawn"),
    STOPPED: ("Dừng xử lý", "Processing stopped"),
    DONE: ("Đã xử lý xong", "Decided, result ready"),
    RETURNED: ("Đã trả kết quả", "Result returned"),
}
ALL_STATES = tuple(STATE_NAMES)
TERMINAL = frozenset({REFUSED, WITHDRAWN, STOPPED, RETURNED})
OPEN = frozenset({ACCEPTED, PROCESSING, SUPPLEMENT, PAYMENT})
FINISHED = frozenset({DONE, RETURNED})
# Awaiting someone's action (intake, processing, the result's return): the queues' states.
AWAITING = frozenset({SUBMITTED, *OPEN, DONE})


def state_name(state: int, locale: str = "vi") -> str:
    """The state's name in Vietnamese or English."""
    vi, en = STATE_NAMES[state]
    return en if locale == "en" else vi
