"""A group of street lights switched together (FIWARE StreetlightGroup): a virtual device the lighting
service keeps up to date with tonight's switching times and the group's state."""

from smartcity.iot.device_types.base import ENUM, TEXT, DeviceType, TelemetryKey


class StreetlightGroup(DeviceType):
    """Lights of one street and circuit; reports nothing itself (the lighting service writes its values)."""

    slug = "streetlight_group"
    label = "Nhóm đèn đường"
    sdm_type = "StreetlightGroup"
    sdm_data_model = "https://smartdatamodels.org/dataModel.Streetlighting/StreetlightGroup"
    keys = (
        TelemetryKey(
            "powerState",
            kind=ENUM,
            choices=("on", "off", "low"),
            description="Group state",
            label="Trạng thái nhóm đèn",
        ),
        TelemetryKey("dimLevel", "%", 0, 100, description="Commanded dimming level", label="Mức sáng đặt"),
        TelemetryKey(
            "switchingOnHours",
            kind=TEXT,
            description="Tonight's hours on, e.g. 17:52-05:35",
            label="Giờ bật đèn đêm nay",
        ),
        TelemetryKey(
            "dateNextSwitchingOn",
            kind=TEXT,
            description="Next switch-on (ISO 8601)",
            label="Lần bật tiếp theo",
        ),
        TelemetryKey(
            "dateNextSwitchingOff",
            kind=TEXT,
            description="Next switch-off (ISO 8601)",
            label="Lần tắt tiếp theo",
        ),
        TelemetryKey(
            "activeProgramId",
            kind=TEXT,
            description="What decides tonight: schedule or exception",
            label="Chương trình đang áp dụng",
        ),
    )
    state_keys = ("powerState",)


DEVICE_TYPE = StreetlightGroup
