"""The operations centre's use cases, one module per capability, under one public name."""

from smartcity.ioc.service.alerts import (  # noqa: F401
    atom_feed,
    build_cap,
    cap_time,
    current_stage,
    get_alert,
    list_alerts,
    list_alerts_for,
    publish_alert,
    set_stage,
    verify_xml,
)
from smartcity.ioc.service.incident_reads import (  # noqa: F401
    LinkedResource,
    counts_by_state,
    get_incident,
    linked_resources,
    list_incidents,
)
from smartcity.ioc.service.incidents import (  # noqa: F401
    add_note,
    alarm_cleared,
    open_incident,
    receive_event,
    transition,
)
from smartcity.ioc.service.indicators import (  # noqa: F401
    Breakdown,
    Period,
    breakdown,
    catalogue,
    compute,
    compute_now,
    get_indicator,
    latest,
    level_of,
    period_of,
    progress,
    series,
    set_target,
    ward_breakdown,
)
from smartcity.ioc.service.playbook import (  # noqa: F401
    complete_step,
    escalate_overdue,
    run_due_steps,
    staff_address,
)


def severity_name(level: int) -> str:
    """An incident severity level in Vietnamese words (the level itself when unknown)."""
    from smartcity.ioc.catalogue import SEVERITIES

    return SEVERITIES[level][0] if level in SEVERITIES else str(level)


def source_name(code: str) -> str:
    """Where an incident's event came from, in Vietnamese words (the code itself when unknown)."""
    from smartcity.ioc.catalogue import SOURCES

    return SOURCES.get(code, code)


def incident_type_name(code: str) -> str:
    """An incident type's Vietnamese name (the code itself when unknown)."""
    from smartcity.ioc.catalogue import TYPES

    return TYPES[code].name_vi if code in TYPES else code
