"""A smart street light (FIWARE Streetlight): dimmable LED luminaire with power metering."""

from smartcity.iot.device_types.base import ENUM, CommandParam, CommandSpec, DeviceType, TelemetryKey
from smartcity.iot.device_types.generic import COMMON_KEYS

POWER_STATES = ("on", "off", "low", "bootingUp")
DIM_LEVEL = TelemetryKey(
    "dimLevel", "%", 0, 100, description="Dimming level (0 off, 100 full)", label="Mức sáng"
)


class Streetlight(DeviceType):
    """One luminaire on a pole."""

    slug = "streetlight"
    label = "Đèn đường thông minh"
    sdm_type = "Streetlight"
    sdm_data_model = "https://smartdatamodels.org/dataModel.Streetlighting/Streetlight"
    keys = (
        TelemetryKey(
            "powerState", kind=ENUM, choices=POWER_STATES, description="Lamp state", label="Trạng thái đèn"
        ),
        DIM_LEVEL,
        TelemetryKey(
            "powerConsumption", "W", 0, 1000, description="Active power drawn", label="Công suất tiêu thụ"
        ),
        TelemetryKey(
            "energyConsumed", "kWh", 0, 1e7, description="Cumulative energy", label="Điện năng tiêu thụ"
        ),
        TelemetryKey(
            "illuminanceLevel", "lx", 0, 200000, description="Ambient light", label="Độ rọi môi trường"
        ),
        TelemetryKey("voltage", "V", 0, 400, description="Supply voltage", label="Điện áp nguồn"),
        *COMMON_KEYS,
    )
    commands = (
        CommandSpec("dim", "Đặt mức sáng", (CommandParam(DIM_LEVEL),)),
        CommandSpec(
            "switch",
            "Bật/tắt đèn",
            (CommandParam(TelemetryKey("state", kind=ENUM, choices=("on", "off"), label="Trạng thái")),),
        ),
    )
    state_keys = ("powerState",)


DEVICE_TYPE = Streetlight
