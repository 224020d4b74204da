"""Workflow templates: the steps a dossier goes through, each done by a role in a kind of org unit.

A step's `unit` is a slot ("intake", "processing", "deciding") that a dossier fills with real org-unit
codes when it is created; `share` is the part of the procedure's working days the step may use.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Step:
    """One step of a workflow template."""

    key: str
    name: str
    name_en: str
    role: str
    unit: str
    share: float = 0.0


_RECEIVE = Step("receive", "Tiếp nhận hồ sơ", "Receive the dossier", "clerk", "intake")
_RETURN = Step("return", "Trả kết quả", "Return the result", "clerk", "intake")

TEMPLATES: dict[str, tuple[Step, ...]] = {
    "city_standard": (
        _RECEIVE,
        Step("assign", "Phân công xử lý", "Assign to a specialist", "head", "processing", 0.1),
        Step("process", "Thẩm định, xử lý", "Examine and process", "specialist", "processing", 0.6),
        Step("review", "Xem xét, trình ký", "Review and submit for signature", "head", "processing", 0.1),
        Step("decide", "Phê duyệt, ký kết quả", "Decide and sign", "leader", "deciding", 0.2),
        _RETURN,
    ),
    "ward_short": (
        _RECEIVE,
        Step("process", "Thẩm định, xử lý", "Examine and process", "specialist", "processing", 0.7),
        Step("decide", "Phê duyệt, ký kết quả", "Decide and sign", "leader", "deciding", 0.3),
        _RETURN,
    ),
}


def template(name: str) -> tuple[Step, ...]:
    """The steps of a workflow template; KeyError if there is no such template."""
    return TEMPLATES[name]


def workflow_names() -> list[str]:
    """The names of every workflow template."""
    return list(TEMPLATES)


def processing_steps(name: str) -> list[str]:
    """The keys of the steps between intake and return, in order."""
    return [s.key for s in template(name) if s.key not in ("receive", "return")]
