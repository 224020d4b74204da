"""Pages write stored UTC timestamps in the city's time zone."""

from __future__ import annotations

from datetime import UTC, datetime

from smartcity.core.config import Settings
from smartcity.web.templating import ENVIRONMENT


def _render(value, **settings_fields) -> str:
    template = ENVIRONMENT.from_string("{{ value|local_datetime }}")
    return template.render(value=value, settings=Settings(**settings_fields))


def test_utc_timestamp_is_written_in_vietnam_time():
    assert _render(datetime(2022, 2, 26, 20, 30, tzinfo=UTC)) == "27/02/2022 03:30"


def test_naive_timestamp_is_taken_as_utc_and_missing_one_as_a_dash():
    assert _render(datetime(2022, 2, 26, 20, 30)) == "27/02/2022 03:30"
    assert _render(None) == "—"


def test_the_configured_time_zone_is_used():
    assert _render(datetime(2022, 2, 26, 20, 30, tzinfo=UTC), timezone="Europe/Paris") == "26/02/2022 21:30"
