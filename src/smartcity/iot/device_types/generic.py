"""A generic device (FIWARE Device): battery, signal and RSSI only, for anything without its own type."""

from smartcity.iot.device_types.base import DeviceType, TelemetryKey

COMMON_KEYS = (
    TelemetryKey("batteryLevel", "%", 0, 100, description="Battery charge", label="Mức pin"),
    TelemetryKey(
        "rssi", "dBm", -150, 0, description="Radio signal strength", label="Cường độ tín hiệu vô tuyến"
    ),
)


class GenericDevice(DeviceType):
    """A device the platform knows only by its common health values."""

    slug = "device"
    label = "Thiết bị chung"
    sdm_type = "Device"
    sdm_data_model = "https://smartdatamodels.org/dataModel.Device/Device"
    keys = (
        *COMMON_KEYS,
        TelemetryKey(
            "temperature", "Cel", -40, 125, description="Device temperature", label="Nhiệt độ thiết bị"
        ),
    )


DEVICE_TYPE = GenericDevice
