"""An air-quality station (FIWARE AirQualityObserved): pollutants in µg/m³ and weather."""

from smartcity.iot.device_types.base import ENUM, DeviceType, TelemetryKey
from smartcity.iot.device_types.generic import COMMON_KEYS


class AirQualityStation(DeviceType):
    """A low-cost or reference station measuring the VN_AQI pollutants."""

    slug = "air_quality"
    label = "Trạm quan trắc không khí"
    sdm_type = "AirQualityObserved"
    sdm_data_model = "https://smartdatamodels.org/dataModel.Environment/AirQualityObserved"
    keys = (
        TelemetryKey("pm25", "µg/m³", 0, 1000, description="PM2.5", label="Bụi PM2.5"),
        TelemetryKey("pm10", "µg/m³", 0, 2000, description="PM10", label="Bụi PM10"),
        TelemetryKey("no2", "µg/m³", 0, 5000, description="Nitrogen dioxide", label="Nitơ điôxít (NO₂)"),
        TelemetryKey("so2", "µg/m³", 0, 5000, description="Sulphur dioxide", label="Lưu huỳnh điôxít (SO₂)"),
        TelemetryKey("o3", "µg/m³", 0, 2000, description="Ozone", label="Ôzôn (O₃)"),
        TelemetryKey("co", "µg/m³", 0, 200000, description="Carbon monoxide", label="Cacbon monoxit (CO)"),
        TelemetryKey(
            "temperature", "Cel", -20, 60, description="Air temperature", label="Nhiệt độ không khí"
        ),
        TelemetryKey(
            "relativeHumidity", "%", 0, 100, description="Relative humidity", label="Độ ẩm tương đối"
        ),
        # Written by the environment service from the station's hourly means (VN_AQI, Decision 1459/QĐ-TCMT).
        TelemetryKey(
            "airQualityIndex",
            None,
            0,
            500,
            description="Hourly VN_AQI",
            label="Chỉ số chất lượng không khí (VN_AQI)",
        ),
        TelemetryKey(
            "airQualityLevel",
            kind=ENUM,
            choices=("good", "moderate", "poor", "bad", "very_bad", "hazardous"),
            description="VN_AQI band",
            label="Mức chất lượng không khí",
        ),
        *COMMON_KEYS,
    )


DEVICE_TYPE = AirQualityStation
