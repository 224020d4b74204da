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
        TelemetryKey("powerState", kind=ENUM, choices=("on", "off", "low"), description="Group state"),
        TelemetryKey("dimLevel", "%", 0, 100, description="Commanded dimming level"),
        TelemetryKey("switchingOnHours", kind=TEXT, description="Tonight's hours on, e.g. 17:52-05:35"),
        TelemetryKey("dateNextSwitchingOn", kind=TEXT, description="Next switch-on (ISO 8601)"),
        TelemetryKey("dateNextSwitchingOff", kind=TEXT, description="Next switch-off (ISO 8601)"),
        TelemetryKey("activeProgramId", kind=TEXT, description="What decides tonight: schedule or exception"),
    )
    state_keys = ("powerState",)


DEVICE_TYPE = StreetlightGroup
