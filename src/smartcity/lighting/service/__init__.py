"""Lighting use cases, by capability: inventory and plans, control, maintenance, energy."""

from datetime import datetime

from smartcity.core import clock
from smartcity.core.config import Settings
from smartcity.lighting import schedule
from smartcity.lighting.faults import FAULT_NAMES  # noqa: F401 (a fault's words, for other domains' pages)
from smartcity.lighting.service.control import apply_schedules, confirm_states, moment_for  # noqa: F401
from smartcity.lighting.service.energy import compute_energy, day_bounds, energy, hours_on_within  # noqa: F401
from smartcity.lighting.service.inventory import (  # noqa: F401
    add_exception,
    create_cabinet,
    create_group,
    create_light,
    create_lights,
    create_schedule,
    get_cabinet,
    get_group,
    get_light,
    get_schedule,
    list_cabinets,
    list_exceptions,
    list_groups,
    list_lights,
    list_schedules,
    night_of,
    plan_for,
    remove_exception,
)
from smartcity.lighting.service.maintenance import (  # noqa: F401
    TICKET_STATES,
    add_note,
    assign_ticket,
    close_ticket,
    detect_faults,
    get_ticket,
    list_tickets,
)

# Street lighting is run by the operations centre (TDM-IOC), the Urban Management division (TDM-QLDT) and the
# people's committees (UBND-): their operators, or city-wide ones, or admin.
OPERATOR_UNITS = ("TDM-IOC", "TDM-QLDT", "UBND-")
OPERATOR_REFUSAL = (
    "Việc này dành cho cán bộ vận hành của Trung tâm điều hành, Phòng Quản lý đô thị "
    "và Ủy ban nhân dân thành phố, phường."
)


def in_daylight(lon: float, lat: float, moment: datetime, settings: Settings) -> bool:
    """Whether it is day at this place and moment (civil dawn to civil dusk): street lights are not needed."""
    return schedule.in_daylight(lat, lon, moment, clock.city_zone(settings))
