"""Environment: air quality (VN_AQI per Decision 1459/QĐ-TCMT), water levels and flooded streets."""
