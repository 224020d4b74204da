"""Events the feedback domain publishes (for the operations centre, notifications and statistics)."""

from __future__ import annotations

from smartcity.core.events import Event, register_event


@register_event("feedback.ReportSubmitted")
class ReportSubmitted(Event):
    """A citizen or an operator submitted a report; it was routed to `unit_code`."""

    report_id: int
    code: str
    category_code: str
    channel: str
    unit_code: str
    ward_code: str | None
    lon: float | None
    lat: float | None
    urgent: bool
    is_public: bool
    submitted_at: str
    deadline_at: str | None


@register_event("feedback.UrgentReportFlagged")
class UrgentReportFlagged(Event):
    """A report needs the operations centre at once (an urgent category, or flagged by an operator)."""

    report_id: int
    code: str
    category_code: str
    unit_code: str | None
    ward_code: str | None
    lon: float | None
    lat: float | None
    flagged_by: str
    at: str


@register_event("feedback.ReportStatusChanged")
class ReportStatusChanged(Event):
    """A report moved from one state to another (accepted, assigned, in progress, closed...)."""

    report_id: int
    code: str
    action: str
    from_status: str | None
    to_status: str
    unit_code: str | None
    at: str


@register_event("feedback.ReportAssigned")
class ReportAssigned(Event):
    """A report was (re)assigned to an org unit."""

    report_id: int
    code: str
    unit_code: str
    previous_unit_code: str | None
    assignee: str | None
    at: str


@register_event("feedback.ReportResolved")
class ReportResolved(Event):
    """The handling unit resolved a report; the reporter may rate it or reopen it for a while."""

    report_id: int
    code: str
    unit_code: str | None
    within_deadline: bool | None
    at: str


@register_event("feedback.ReportReopened")
class ReportReopened(Event):
    """The reporter reopened a resolved report."""

    report_id: int
    code: str
    unit_code: str | None
    at: str


@register_event("feedback.ReportRejected")
class ReportRejected(Event):
    """A report was rejected, with the reason given publicly."""

    report_id: int
    code: str
    reason: str
    at: str


@register_event("feedback.ReportMerged")
class ReportMerged(Event):
    """A report was merged into another one as its duplicate."""

    report_id: int
    code: str
    into_report_id: int
    into_code: str
    at: str


@register_event("feedback.ReportEscalated")
class ReportEscalated(Event):
    """A report passed its deadline unresolved and was escalated to a higher unit."""

    report_id: int
    code: str
    unit_code: str | None
    escalated_to: str | None
    level: int
    deadline_at: str | None
    at: str


@register_event("feedback.ReportRated")
class ReportRated(Event):
    """The reporter rated the resolution (1 not satisfied, 2 satisfied, 3 very satisfied)."""

    report_id: int
    code: str
    unit_code: str | None
    rating: int
    at: str
