"""Common: part of the feedback service (see __init__)."""

from __future__ import annotations

from pathlib import Path

CATEGORIES_FILE = Path(__file__).resolve().parent.parent / "categories.json"

NEW, ACCEPTED, ASSIGNED, IN_PROGRESS = "new", "accepted", "assigned", "in_progress"
RESOLVED, CLOSED, REJECTED, REOPENED, MERGED = "resolved", "closed", "rejected", "reopened", "merged"
STATUSES = (NEW, ACCEPTED, ASSIGNED, IN_PROGRESS, RESOLVED, CLOSED, REJECTED, REOPENED, MERGED)
OPEN_STATUSES = frozenset({NEW, ACCEPTED, ASSIGNED, IN_PROGRESS, REOPENED})
STATUS_NAMES = {
    NEW: "Mới tiếp nhận",
    ACCEPTED: "Đã tiếp nhận",
    ASSIGNED: "Đã chuyển xử lý",
    IN_PROGRESS: "Đang xử lý",
    RESOLVED: "Đã xử lý",
    CLOSED: "Đã đóng",
    REJECTED: "Từ chối",
    REOPENED: "Mở lại",
    MERGED: "Gộp (trùng)",
}
STAFF_ROLES = ("operator", "clerk", "specialist", "head", "leader")
# Reports are routed (categories.json, routing.choose_unit) to the city's departments while they existed
# (TDM-: the operations centre, urban management, environment, culture, the one-stop desk; until
# 30 June 2025), to the ward committee of the place and else to the city's committee (UBND-). Their staff,
# the hotline's operators (of the centre or city-wide) and the admin work the queue; no school's or health
# station's staff does.
STAFF_UNITS = ("UBND-", "TDM-")
STAFF_REFUSAL = (
    "Việc này dành cho cán bộ xử lý phản ánh của Ủy ban nhân dân thành phố, phường và các phòng, ban, "
    "Trung tâm điều hành."
)
DISPATCH_ROLES = ("operator",)  # may act on any report, in any unit
REASSIGN_ROLES = ("head", "leader")  # may send a report of their unit elsewhere
# what a step of a report's history did, as staff read it (the step's action is stored as a code)
ACTION_NAMES = {
    "submitted": "Gửi phản ánh",
    "accept": "Tiếp nhận",
    "assign": "Chuyển xử lý",
    "reassign": "Chuyển đơn vị khác xử lý",
    "start": "Bắt đầu xử lý",
    "resolve": "Xử lý xong",
    "close": "Đóng phản ánh",
    "reject": "Từ chối",
    "reopen": "Mở lại",
    "merge": "Gộp trùng",
    "rated": "Người phản ánh đánh giá",
    "flagged_urgent": "Báo khẩn",
    "escalated": "Báo cáo cấp trên (quá hạn)",
}
CHANNEL_NAMES = {
    "web": "Cổng thông tin",
    "app": "Ứng dụng di động",
    "hotline": "Tổng đài 1022",
    "zalo": "Zalo",
    "email": "Thư điện tử",
    "open311": "Open311",
}
RATING_NAMES = {1: "Không hài lòng", 2: "Hài lòng", 3: "Rất hài lòng"}

# action -> (states it may start from, state it leads to)
TRANSITIONS: dict[str, tuple[frozenset[str], str]] = {
    "accept": (frozenset({NEW}), ACCEPTED),
    "assign": (frozenset({NEW, ACCEPTED, ASSIGNED, IN_PROGRESS, REOPENED}), ASSIGNED),
    "start": (frozenset({ACCEPTED, ASSIGNED, REOPENED}), IN_PROGRESS),
    "resolve": (frozenset({NEW, ACCEPTED, ASSIGNED, IN_PROGRESS, REOPENED}), RESOLVED),  # NEW: answered
    "close": (frozenset({RESOLVED}), CLOSED),
    "reject": (frozenset({NEW, ACCEPTED, ASSIGNED}), REJECTED),
    "reopen": (frozenset({RESOLVED, CLOSED}), REOPENED),
    "merge": (OPEN_STATUSES, MERGED),
}
