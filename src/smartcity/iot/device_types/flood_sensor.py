"""A water-level sensor on a flood-prone street (FIWARE FloodMonitoring): water above the road surface."""

from smartcity.iot.device_types.base import DeviceType, TelemetryKey
from smartcity.iot.device_types.generic import COMMON_KEYS


class FloodSensor(DeviceType):
    """An ultrasonic or radar gauge above a drain inlet; currentLevel = referenceLevel - measuredDistance."""

    slug = "flood_sensor"
    label = "Cảm biến mực nước ngập"
    sdm_type = "FloodMonitoring"
    sdm_data_model = "https://smartdatamodels.org/dataModel.Environment/FloodMonitoring"
    keys = (
        TelemetryKey(
            "currentLevel",
            "cm",
            -300,
            300,
            description="Water level against the road surface (negative: still in the drain)",
            label="Mực nước so với mặt đường",
        ),
        TelemetryKey(
            "measuredDistance",
            "cm",
            0,
            1000,
            description="Distance from the gauge to the water",
            label="Khoảng cách từ cảm biến tới mặt nước",
        ),
        *COMMON_KEYS,
    )


DEVICE_TYPE = FloodSensor
