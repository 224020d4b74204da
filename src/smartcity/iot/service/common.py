"""Common: part of the iot service (see __init__)."""

from __future__ import annotations

from smartcity.core.security import Actor

INGEST_ACTOR = Actor.system("iot-ingest")
CSV_COLUMNS = ("id", "type", "lon", "lat", "name", "model", "serial", "installed_on", "tags")
INTERVALS = {"minute": 60, "5min": 300, "15min": 900, "hour": 3600, "day": 86400}
FINAL_COMMAND_STATES = ("acknowledged", "failed", "timed_out")
