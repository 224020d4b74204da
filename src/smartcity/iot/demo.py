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
        params={"op": ">", "value": 60, "readings": 2},  # one hot reading is a sensor's glitch, not a fire
        severity="critical",
    ),
    # Its alarms read "Mất kết nối: không nhận được dữ liệu trong 15 phút": the name, not the reason again.
    RuleCreate(name="Mất kết nối", kind="no_data", params={"minutes": 15}, severity="low"),
)

# Names the demo rules had before (old name -> current name): rules are known by their (unique) name, so a
# database loaded by an earlier demo has its rule renamed in place rather than given a second one.
FORMER_NAMES = {"Thiết bị mất kết nối 15 phút": "Mất kết nối"}


def load_demo(db: Database, *, settings: Settings, actor: Actor) -> str:
    """Create the demo alarm rules once (devices register themselves when the simulator starts); a rule
    still under a former demo name is renamed, its definition (perhaps edited by an operator) kept."""
    rules = {rule.name: rule for rule in service.list_rules(db)}
    renamed = 0
    for old, new in FORMER_NAMES.items():
        if old in rules and new not in rules:
            renamed += 1
            kept = {k: v for k, v in service.rule_snapshot(rules[old]).items() if k != "version"}
            renamed_rule = RuleCreate.model_validate(kept | {"name": new})
            service.update_rule(db, actor=actor, rule_id=rules[old].id, data=renamed_rule)
    existing = {rule.name for rule in service.list_rules(db)}
    created = 0
    for rule in DEMO_RULES:
        if rule.name not in existing:
            service.create_rule(db, actor=actor, data=rule)
            created += 1
    renaming = f", {renamed} renamed" if renamed else ""
    return f"{created} alarm rules created{renaming} ({len(existing)} already there)"
