"""Demo data of the signing domain: the city PKI, and each ward's leader's certificate and seal."""

from __future__ import annotations

from smartcity.accounts import service as accounts
from smartcity.core import clock
from smartcity.core.config import Settings
from smartcity.core.db import Database
from smartcity.core.security import Actor
from smartcity.signing import service


def _has_active(db: Database, *, kind: str, holder: str) -> bool:
    return any(c.status == "active" for c in service.list_certificates(db, kind=kind, holder=holder))


def load_demo(db: Database, *, settings: Settings, actor: Actor) -> str:
    """Initialise the PKI if needed; issue each ward's leaders their certificates and the ward its seal
    (once), so a dossier of any ward can be decided and signed."""
    done = []
    if not service.pki_status(db).initialised:
        service.init_pki(db, actor=actor, settings=settings)
        done.append("PKI initialised")
    wards = [
        unit
        for unit in accounts.list_org_units(db, on=clock.today(settings))
        if unit.kind == "ward_committee"
    ]
    for ward in wards:
        for username, full_name in accounts.holders_of(db, role="leader", org_unit_code=ward.code):
            if not _has_active(db, kind="official", holder=username):
                service.issue_official_certificate(
                    db,
                    actor=actor,
                    username=username,
                    full_name=full_name or username,
                    org_unit_code=ward.code,
                    settings=settings,
                )
                done.append(f"certificate of {username}")
        if not _has_active(db, kind="organisation", holder=ward.code):
            service.issue_organisation_certificate(
                db, actor=actor, org_unit_code=ward.code, name=ward.name, settings=settings
            )
            done.append(f"seal of {ward.code}")
    summary = ", ".join(done) if done else "PKI and certificates already there"
    return summary + ("" if wards else "; no ward committee in office (is the city pack loaded?)")
