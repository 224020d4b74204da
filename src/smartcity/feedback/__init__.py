"""Citizen reports (phản ánh kiến nghị), the 1022 hotline console and the Open311 GeoReport v2 API."""
