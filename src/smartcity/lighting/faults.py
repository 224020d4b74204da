"""Faults of lamps and circuits read from telemetry against tonight's plan. Pure functions, no database.

A light's or cabinet's latest values are evidence only when fresh; right after a switch the lamps get a
grace period to follow the command. Each fault is described in words for the maintenance crew.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from smartcity.core.i18n import Phrase
from smartcity.lighting.config import LightingSettings
from smartcity.lighting.schedule import NightPlan

FAULT_NAMES = {
    "lamp_failure": "Đèn không có dòng điện khi phải sáng",
    "on_in_daylight": "Đèn sáng ban ngày",
    "power_out_of_range": "Công suất hoặc điện áp bất thường",
    "cabinet_door_open": "Cửa tủ điều khiển mở",
    "supply_lost": "Mất nguồn cấp tủ điều khiển",
}
# The evidence of each finding, as a sentence with its measurements (the msgids of lighting.po).
DESCRIPTIONS = {
    "lamp_failure": "Theo lịch đèn phải sáng {level} % (khoảng {expected} W) nhưng chỉ tiêu thụ {power} W: "
    "bóng hoặc bộ nguồn hỏng, hoặc đứt dây.",
    "over_power": "Đèn tiêu thụ {power} W, vượt mức {expected} W của độ sáng {level} % "
    "(công suất định mức {rated} W).",
    "on_in_daylight": "Ban ngày đèn vẫn tiêu thụ {power} W.",
    "voltage_out_of_range": "Điện áp tại đèn {voltage} V nằm ngoài khoảng {low}–{high} V.",
    "cabinet_door_open": "Cảm biến báo cửa tủ điều khiển đang mở.",
    "supply_lost": "Điện áp nguồn cấp tủ chỉ còn {voltage} V: mất điện lưới.",
}


@dataclass(frozen=True)
class Fault:
    """A fault found on an asset, with the evidence in words (a `Phrase`, said in the page's language)."""

    kind: str
    description: str


def evidence_of(finding: str, **measured: float) -> Phrase:
    """The sentence of a finding (DESCRIPTIONS), its measurements in whole units."""
    return Phrase(DESCRIPTIONS[finding], **{name: round(value) for name, value in measured.items()})


@dataclass(frozen=True)
class Moment:
    """Where the night stands for a group at `now`: tonight's plan and the previous one."""

    now: datetime
    plan: NightPlan  # the night that contains now, or tonight's if now is in daytime
    previous: NightPlan


def desired_level(moment: Moment) -> int:
    """The level the group's lights should burn at now (0: off)."""
    return max(moment.plan.level_at(moment.now), moment.previous.level_at(moment.now))


def _settled(moment: Moment, env: LightingSettings) -> bool:
    """No switch or step happened within the grace period before now."""
    grace = timedelta(minutes=env.grace_minutes)
    changes = [at for plan in (moment.plan, moment.previous) for at, _ in plan.steps]
    changes += [moment.plan.off_at, moment.previous.off_at]
    return all(not moment.now - grace <= at <= moment.now for at in changes)


def _daylight(moment: Moment, env: LightingSettings) -> bool:
    margin = timedelta(minutes=env.daylight_margin_minutes)
    return moment.previous.sun_off + margin <= moment.now <= moment.plan.sun_on - margin


def _fresh(state: dict[str, tuple[Any, datetime]], key: str, now: datetime, env: LightingSettings) -> Any:
    found = state.get(key)
    if found is None or now - found[1] > timedelta(minutes=env.stale_minutes):
        return None
    return found[0]


def light_faults(
    state: dict[str, tuple[Any, datetime]], *, rated_w: float, moment: Moment, env: LightingSettings
) -> list[Fault]:
    """Faults of one light from its latest values."""
    power = _fresh(state, "powerConsumption", moment.now, env)
    voltage = _fresh(state, "voltage", moment.now, env)
    faults: list[Fault] = []
    level = desired_level(moment)
    if power is not None and _settled(moment, env):
        expected = rated_w * level / 100
        if level > 0 and power < env.min_current_watts:
            evidence = evidence_of("lamp_failure", level=level, expected=expected, power=power)
            faults.append(Fault("lamp_failure", evidence))
        elif level > 0 and power > expected * (1 + env.power_tolerance) + env.min_current_watts:
            evidence = evidence_of("over_power", power=power, expected=expected, level=level, rated=rated_w)
            faults.append(Fault("power_out_of_range", evidence))
        elif level == 0 and power >= env.min_current_watts and _daylight(moment, env):
            faults.append(Fault("on_in_daylight", evidence_of("on_in_daylight", power=power)))
    if (
        voltage is not None
        and not env.voltage_min <= voltage <= env.voltage_max
        and voltage >= env.supply_lost_volts
    ):
        evidence = evidence_of(
            "voltage_out_of_range", voltage=voltage, low=env.voltage_min, high=env.voltage_max
        )
        faults.append(Fault("power_out_of_range", evidence))
    return faults


def cabinet_faults(
    state: dict[str, tuple[Any, datetime]], *, now: datetime, env: LightingSettings
) -> list[Fault]:
    """Faults of one cabinet from its latest values."""
    faults: list[Fault] = []
    if _fresh(state, "doorOpen", now, env) is True:
        faults.append(Fault("cabinet_door_open", evidence_of("cabinet_door_open")))
    voltage = _fresh(state, "voltage", now, env)
    if voltage is not None and voltage < env.supply_lost_volts:
        faults.append(Fault("supply_lost", evidence_of("supply_lost", voltage=voltage)))
    return faults
