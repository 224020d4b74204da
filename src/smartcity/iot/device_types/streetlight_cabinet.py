"""A street-lighting control cabinet (FIWARE StreetlightControlCabinet): feeds a circuit of lights."""

from smartcity.iot.device_types.base import BOOLEAN, ENUM, CommandParam, CommandSpec, DeviceType, TelemetryKey


class StreetlightControlCabinet(DeviceType):
    """A cabinet with a contactor, energy meter and door sensor."""

    slug = "streetlight_cabinet"
    label = "Tủ điều khiển chiếu sáng"
    sdm_type = "StreetlightControlCabinet"
    sdm_data_model = "https://smartdatamodels.org/dataModel.Streetlighting/StreetlightControlCabinet"
    keys = (
        TelemetryKey(
            "energyConsumed", "kWh", 0, 1e9, description="Cumulative energy", label="Điện năng tiêu thụ"
        ),
        TelemetryKey(
            "activePower", "kW", 0, 500, description="Active power of the circuit", label="Công suất tác dụng"
        ),
        TelemetryKey("voltage", "V", 0, 500, description="Phase voltage", label="Điện áp pha"),
        TelemetryKey("intensity", "A", 0, 1000, description="Phase current", label="Dòng điện pha"),
        TelemetryKey("doorOpen", kind=BOOLEAN, description="Cabinet door open", label="Cửa tủ mở"),
        TelemetryKey(
            "contactorState",
            kind=ENUM,
            choices=("on", "off"),
            description="Main contactor",
            label="Công tắc tơ chính",
        ),
    )
    commands = (
        CommandSpec(
            "switch",
            "Đóng/cắt công tắc tơ",
            (CommandParam(TelemetryKey("state", kind=ENUM, choices=("on", "off"), label="Trạng thái")),),
        ),
    )
    state_keys = ("contactorState", "doorOpen")


DEVICE_TYPE = StreetlightControlCabinet
