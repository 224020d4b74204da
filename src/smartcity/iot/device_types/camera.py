"""A traffic or security camera, or its analytics box, sending detected events (no video passes here)."""

from smartcity.iot.device_types.base import ENUM, TEXT, DeviceType, TelemetryKey

CAMERA_EVENTS = (
    "accident",
    "stopped_vehicle",
    "wrong_way",
    "flooding",
    "intrusion",
    "crowd",
    "fire",
    "smoke",
)


class Camera(DeviceType):
    """Events travel in one telemetry message: eventType with its eventId, lane and confidence."""

    slug = "camera"
    label = "Camera giao thông, an ninh"
    sdm_type = "Camera"
    sdm_data_model = "https://smartdatamodels.org/dataModel.Device/Device"
    keys = (
        TelemetryKey("eventType", kind=ENUM, choices=CAMERA_EVENTS, description="What was detected"),
        TelemetryKey("eventId", kind=TEXT, description="The camera's own id of the event (deduplication)"),
        TelemetryKey("eventLane", None, 1, 12, description="Lane of a traffic event"),
        TelemetryKey("eventConfidence", None, 0, 1, description="Confidence of the detection"),
        TelemetryKey("online", kind=ENUM, choices=("yes", "no"), description="Stream available"),
    )


DEVICE_TYPE = Camera
