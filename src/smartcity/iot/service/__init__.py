"""Use cases of the IoT core: registry, ingestion, telemetry queries, commands, rules and alarms."""

from __future__ import annotations

from smartcity.iot.device_types.camera import CAMERA_EVENT_NAMES as CAMERA_EVENT_NAMES
from smartcity.iot.pipeline import Envelope as Envelope
from smartcity.iot.service.commands import (  # noqa: F401
    acknowledge_command,
    command_group,
    command_payload,
    commands_to_publish,
    expire_commands,
    list_commands,
    mark_commands_sent,
    send_commands,
    status_counts,
    take_commands,
)
from smartcity.iot.service.common import CSV_COLUMNS, FINAL_COMMAND_STATES, INGEST_ACTOR, INTERVALS  # noqa: F401
from smartcity.iot.service.ingestion import (  # noqa: F401
    IngestOutcome,
    check_silent_devices,
    forget_watch,
    ingest,
    prepare_ingest,
)
from smartcity.iot.service.registry import (  # noqa: F401
    DeviceFilter,
    NewDevice,
    authenticate_device,
    decommission_device,
    device_health,
    device_points,
    device_snapshot,
    find_devices,
    get_device,
    import_devices_csv,
    list_devices,
    provision_devices,
    register_device,
    reset_credentials,
    type_label,
    update_device,
    ward_at,
)
from smartcity.iot.service.rules_and_alarms import (  # noqa: F401
    acknowledge_alarm,
    alarmed_device_ids,
    clear_alarm,
    create_rule,
    import_rules,
    known_types,
    list_alarms,
    list_rules,
    open_alarm_ids,
    rule_snapshot,
    update_rule,
)
from smartcity.iot.service.telemetry_queries import (  # noqa: F401
    ROLLUP_INTERVALS,
    aggregates,
    aggregates_every,
    ensure_telemetry_partitions,
    latest_state,
    purge_telemetry,
    rejections,
    reported_since,
    roll_up,
    rollups,
    stored_message_count,
    telemetry,
)
