"""IoT core: device registry and types, telemetry ingestion (HTTP, MQTT), commands, rules, alarms, NGSI-LD."""
