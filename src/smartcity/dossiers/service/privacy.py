"""Privacy: part of the dossiers service (see __init__) — who sees an applicant's personal data, and the
one place where a dossier's view is stripped of it."""

from __future__ import annotations

from typing import TypeVar

from smartcity.core.crypto import mask
from smartcity.core.errors import Forbidden
from smartcity.core.security import Actor
from smartcity.dossiers.models import Dossier
from smartcity.dossiers.schemas import DossierDetail, DossierSummary

# The roles whose work on a dossier of their unit needs the applicant's data; operators of hotline 1022
# follow every dossier's deadlines but see the applicant only on the dossiers assigned to them.
PERSONAL_DATA_ROLES = ("clerk", "specialist", "head", "leader")
PERSONAL_PREFIX = "applicant_"

ViewT = TypeVar("ViewT", bound=DossierSummary)


def sees_personal_data(dossier: Dossier, actor: Actor) -> bool:
    """True for the applicant, administrators, the staff of the dossier's units and its assignee."""
    if any(role == "admin" for role, _unit in actor.roles):
        return True
    if actor.user_id is not None and actor.user_id == dossier.applicant_user_id:
        return True
    if dossier.assignee and actor.kind == "user" and actor.name == dossier.assignee:
        return True
    units = {dossier.intake_unit, dossier.processing_unit, dossier.deciding_unit}
    return any(actor.has_role(role, unit) for role in PERSONAL_DATA_ROLES for unit in units)


def check_sees_personal_data(dossier: Dossier, actor: Actor) -> None:
    """403 for a reader who follows the dossier without its personal data (its files carry them)."""
    if not sees_personal_data(dossier, actor):
        raise Forbidden(
            "Giấy tờ và tệp của hồ sơ chứa thông tin cá nhân của người nộp; "
            "điều hành viên chỉ xem được khi được giao hồ sơ.",
            reason="personal_data",
        )


def mask_personal(value: str) -> str:
    """A personal value masked word by word, keeping first letters ("Đỗ Thị Lan" → "Đ* T** L**")."""
    return " ".join(mask(word, keep_start=1, keep_end=0) for word in value.split())


def without_personal_data(view: ViewT) -> ViewT:
    """The dossier's view without its applicant's personal data: every `applicant_*` field masked, and in a
    detail the e-form, the attachments and the documents (which carry them) withheld."""
    changes: dict[str, object] = {
        name: mask_personal(value) if isinstance(value, str) else None
        for name, value in view
        if name.startswith(PERSONAL_PREFIX) and value is not None
    }
    if isinstance(view, DossierDetail):
        changes.update(form=None, attachments=[], documents=[], personal_data_withheld=True)
    return view.model_copy(update=changes)
