"""A traffic counter (FIWARE TrafficFlowObserved): vehicles, speed and occupancy on a lane."""

from smartcity.iot.device_types.base import BOOLEAN, DeviceType, TelemetryKey


class TrafficFlowSensor(DeviceType):
    """A loop, radar or camera counting traffic."""

    slug = "traffic_flow"
    label = "Cảm biến lưu lượng giao thông"
    sdm_type = "TrafficFlowObserved"
    sdm_data_model = "https://smartdatamodels.org/dataModel.Transportation/TrafficFlowObserved"
    keys = (
        TelemetryKey(
            "intensity", "vehicles", 0, 20000, description="Vehicles in the period", label="Số xe trong kỳ"
        ),
        TelemetryKey(
            "averageVehicleSpeed", "km/h", 0, 250, description="Average speed", label="Tốc độ trung bình"
        ),
        TelemetryKey(
            "occupancy",
            "ratio",
            0,
            1,
            description="Fraction of time the lane is occupied",
            label="Tỷ lệ chiếm làn",
        ),
        TelemetryKey("congested", kind=BOOLEAN, description="Congestion detected", label="Ùn tắc"),
    )
    state_keys = ("congested",)


DEVICE_TYPE = TrafficFlowSensor
