"""An underground waste container (FIWARE WasteContainer) with fill-level and temperature sensors."""

from smartcity.iot.device_types.base import BOOLEAN, ENUM, DeviceType, TelemetryKey
from smartcity.iot.device_types.generic import COMMON_KEYS


class WasteContainer(DeviceType):
    """A container that reports how full it is."""

    slug = "waste_container"
    label = "Thùng rác thông minh"
    sdm_type = "WasteContainer"
    sdm_data_model = "https://smartdatamodels.org/dataModel.WasteManagement/WasteContainer"
    keys = (
        TelemetryKey("fillingLevel", "%", 0, 100, description="Fill level", label="Mức đầy"),
        TelemetryKey(
            "temperature",
            "Cel",
            -20,
            120,
            description="Inside temperature (fire risk)",
            label="Nhiệt độ trong thùng",
        ),
        TelemetryKey("lidOpen", kind=BOOLEAN, description="Lid open", label="Nắp mở"),
        TelemetryKey(
            "tiltAngle",
            "°",
            0,
            180,
            description="Tilt from upright (knocked over above ~30°)",
            label="Góc nghiêng",
        ),
        TelemetryKey(
            "status",
            kind=ENUM,
            choices=("ok", "lidOpen", "dropped", "burning"),
            description="Container condition",
            label="Tình trạng thùng",
        ),
        *COMMON_KEYS,
    )
    state_keys = ("status", "lidOpen")


DEVICE_TYPE = WasteContainer
