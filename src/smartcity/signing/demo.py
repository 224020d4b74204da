"""Demo data of the signing domain: the city PKI, the demo leader's certificate and the ward's seal."""

from __future__ import annotations

from smartcity.accounts import service as accounts
from smartcity.core.config import Settings
from smartcity.core.db import Database
from smartcity.core.security import Actor
from smartcity.signing import service

DEMO_LEADER = "lanhdao"
DEMO_WARD = "UBND-25747-HCM"


def _has_active(db: Database, *, kind: str, holder: str) -> bool:
    return any(c.status == "active" for c in service.list_certificates(db, kind=kind, holder=holder))


def load_demo(db: Database, *, settings: Settings, actor: Actor) -> str:
    """Initialise the PKI if needed; issue the demo leader's certificate and the demo ward's seal (once)."""
    done = []
    if not service.pki_status(db).initialised:
        service.init_pki(db, actor=actor, settings=settings)
        done.append("PKI initialised")
    leader = accounts.get_user_by_username(db, DEMO_LEADER)
    if leader is not None and not _has_active(db, kind="official", holder=DEMO_LEADER):
        service.issue_official_certificate(
            db,
            actor=actor,
            username=DEMO_LEADER,
            full_name=leader.full_name or DEMO_LEADER,
            org_unit_code=DEMO_WARD,
            settings=settings,
        )
        done.append(f"certificate of {DEMO_LEADER}")
    ward = accounts.get_org_unit(db, DEMO_WARD)
    if ward is not None and not _has_active(db, kind="organisation", holder=DEMO_WARD):
        service.issue_organisation_certificate(
            db, actor=actor, org_unit_code=DEMO_WARD, name=ward.name, settings=settings
        )
        done.append(f"seal of {DEMO_WARD}")
    missing = [name for name, row in ((DEMO_LEADER, leader), (DEMO_WARD, ward)) if row is None]
    summary = ", ".join(done) if done else "PKI and certificates already there"
    return summary + (f"; not found: {', '.join(missing)}" if missing else "")
