"""A traffic or security camera, or its analytics box, sending detected events (no video passes here)."""

from smartcity.iot.device_types.base import ENUM, TEXT, DeviceType, TelemetryKey

# What a camera may detect, by its Vietnamese name (the pages' words; the cameras service uses them too).
CAMERA_EVENT_NAMES = {
    "accident": "Tai nạn giao thông",
    "stopped_vehicle": "Xe dừng bất thường",
    "wrong_way": "Xe đi ngược chiều",
    "flooding": "Ngập nước trên đường",
    "intrusion": "Xâm nhập trái phép",
    "crowd": "Tụ tập đông người",
    "fire": "Cháy",
    "smoke": "Khói",
}
CAMERA_EVENTS = tuple(CAMERA_EVENT_NAMES)


class Camera(DeviceType):
    """Events travel in one telemetry message: eventType with its eventId, lane and confidence."""

    slug = "camera"
    label = "Camera giao thông, an ninh"
    sdm_type = "Camera"
    sdm_data_model = "https://smartdatamodels.org/dataModel.Device/Device"
    keys = (
        TelemetryKey(
            "eventType",
            kind=ENUM,
            choices=CAMERA_EVENTS,
            description="What was detected",
            label="Sự kiện phát hiện",
        ),
        TelemetryKey(
            "eventId",
            kind=TEXT,
            description="The camera's own id of the event (deduplication)",
            label="Mã sự kiện của camera",
        ),
        TelemetryKey(
            "eventLane", None, 1, 12, description="Lane of a traffic event", label="Làn xe của sự kiện"
        ),
        TelemetryKey(
            "eventConfidence",
            None,
            0,
            1,
            description="Confidence of the detection",
            label="Độ tin cậy của sự kiện",
        ),
        TelemetryKey(
            "online",
            kind=ENUM,
            choices=("yes", "no"),
            description="Stream available",
            label="Đang truyền hình",
        ),
    )


DEVICE_TYPE = Camera
