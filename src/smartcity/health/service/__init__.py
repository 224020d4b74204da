"""Use cases of the health domain, one module a capability, behind these public names."""

from smartcity.health.service.coverage import (  # noqa: F401
    coverage_by_ward,
    ensure_population,
    population_on,
    population_sources,
)
from smartcity.health.service.immunisation import (  # noqa: F401
    child_schedule,
    children_of_user,
    count_overdue_children,
    immunisation_coverage,
    in_reminder_hours,
    overdue_children,
    schedule,
    send_reminders,
    vaccine_names,
)
from smartcity.health.service.quarantine import (  # noqa: F401
    acknowledge_alert,
    case_map,
    cases_of_user,
    check_in,
    detect_clusters,
    disease_names,
    epidemic_curve,
    find_missed_checkins,
    open_case,
    quarantine_board,
    release_case,
)
from smartcity.health.service.records import (  # noqa: F401
    CONSENT_PURPOSES,
    accesses_of_user,
    consented,
    ensure_health_roles,
    ensure_health_stations,
    link_person,
    list_conflicts,
    log_access,
    log_access_in,
    patient_for_user,
    patient_summaries,
    register_system,
    set_consent,
    staff_wards,
    station_code,
    store_context,
    ward_names,
)
