"""Demo data for the IoT core: the simulated devices registered and a few alarm rules."""

from __future__ import annotations

from smartcity.core.config import Settings
from smartcity.core.db import Database
from smartcity.core.security import Actor
from smartcity.iot import service
from smartcity.iot.schemas import RuleCreate

DEMO_RULES = (
    RuleCreate(
        name="Thùng rác ngầm sắp đầy",
        kind="threshold",
        device_type="waste_container",
        key="fillingLevel",
        params={"op": ">", "value": 90},
        severity="medium",
    ),
    RuleCreate(
        name="Nhiệt độ trong thùng rác cao (nguy cơ cháy)",
        kind="threshold",
        device_type="waste_container",
        key="temperature",
        params={"op": ">", "value": 60},
        severity="critical",
    ),
    RuleCreate(name="Thiết bị mất kết nối 15 phút", kind="no_data", params={"minutes": 15}, severity="low"),
)


def load_demo(db: Database, *, settings: Settings, actor: Actor) -> str:
    """Create the demo alarm rules once (devices register themselves when the simulator starts)."""
    existing = {rule.name for rule in service.list_rules(db)}
    created = 0
    for rule in DEMO_RULES:
        if rule.name not in existing:
            service.create_rule(db, actor=actor, data=rule)
            created += 1
    return f"{created} alarm rules created ({len(existing)} already there)"
