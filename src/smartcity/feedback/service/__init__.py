"""Use cases of the feedback domain: categories, submission and routing, the lifecycle, duplicates."""

from __future__ import annotations

from smartcity.feedback.service.categories import (  # noqa: F401
    category_names,
    default_categories,
    ensure_default_categories,
    get_category,
    list_categories,
    upsert_categories,
)
from smartcity.feedback.service.common import (  # noqa: F401
    ACCEPTED,
    ACTION_NAMES,
    ASSIGNED,
    CATEGORIES_FILE,
    CHANNEL_NAMES,
    CLOSED,
    DISPATCH_ROLES,
    IN_PROGRESS,
    MERGED,
    NEW,
    OPEN_STATUSES,
    RATING_NAMES,
    REASSIGN_ROLES,
    REJECTED,
    REOPENED,
    RESOLVED,
    STAFF_REFUSAL,
    STAFF_ROLES,
    STAFF_UNITS,
    STATUS_NAMES,
    STATUSES,
    TRANSITIONS,
)
from smartcity.feedback.service.lifecycle import (  # noqa: F401
    accept_report,
    assign_report,
    close_report,
    flag_urgent,
    merge_report,
    rate_report,
    read_contact,
    reject_report,
    reopen_deadline,
    reopen_report,
    reports_by_phone,
    resolve_report,
    start_report,
)
from smartcity.feedback.service.reading import (  # noqa: F401
    ReportFilter,
    _load,
    get_public_report,
    get_report,
    get_report_by_token,
    is_staff,
    list_reports,
    nearby_open_reports,
    open311_status,
    queue_units,
)
from smartcity.feedback.service.submission import (  # noqa: F401
    attach_photo,
    attach_photos,
    check_attributes,
    get_photo,
    join_report,
    normalise_phone,
    submit_report,
)
from smartcity.feedback.service.timers import close_resolved, escalate_overdue  # noqa: F401
