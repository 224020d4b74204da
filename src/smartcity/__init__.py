"""Smart-city platform for Vietnamese city governments."""

__version__ = "0.1.0"
