"""Waste collection: containers with sensors, fill forecasts, daily plans routed with OR-Tools, rounds."""
