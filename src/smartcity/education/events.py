"""Events the education domain publishes (its public contract); never a child's name or identifier."""

from __future__ import annotations

from smartcity.core.events import Event, register_event


@register_event("education.StudentEnrolled")
class StudentEnrolled(Event):
    """A student was enrolled in a class of a school."""

    school_code: str
    class_name: str
    year: str


@register_event("education.StudentTransferred")
class StudentTransferred(Event):
    """A student moved from one school to another."""

    from_school: str
    to_school: str
    on_date: str


@register_event("education.FeesInvoiced")
class FeesInvoiced(Event):
    """A school billed its students for a month."""

    school_code: str
    period: str
    invoices: int
    total_vnd: int


@register_event("education.FeePaid")
class FeePaid(Event):
    """Money was received on a school invoice, online or at the counter."""

    school_code: str
    invoice_number: str
    receipt_number: str
    amount_vnd: int
    channel: str


@register_event("education.AssetWrittenOff")
class AssetWrittenOff(Event):
    """Part or all of an item left a school's register (written off, transferred, or missing)."""

    school_code: str
    asset_code: str
    quantity: int
    value_vnd: int
    reason: str


@register_event("education.StocktakeClosed")
class StocktakeClosed(Event):
    """A school's yearly stock-take was applied to its register."""

    school_code: str
    year: int
    lines: int
    differences: int
    value_change_vnd: int
