"""Tables of the GIS domain: the layer registry and the feature store behind every stored layer."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import Boolean, Date, Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from smartcity.core.db import Base, IdType, JSONType, TimestampMixin


class Layer(TimestampMixin, Base):
    """A feature layer: its schema, geometry type, source, licence, publication and provider."""

    __tablename__ = "gis_layers"

    id: Mapped[int] = mapped_column(IdType, primary_key=True)
    slug: Mapped[str] = mapped_column(String(60), unique=True)
    title: Mapped[str] = mapped_column(String(200))
    title_en: Mapped[str] = mapped_column(String(200), default="")
    description: Mapped[str] = mapped_column(Text, default="")
    geometry_type: Mapped[str] = mapped_column(String(30))  # Point, LineString, Polygon, Geometry...
    properties_schema: Mapped[list[dict[str, Any]]] = mapped_column(JSONType, default=list)
    source: Mapped[str] = mapped_column(Text, default="")
    licence: Mapped[str] = mapped_column(String(200), default="")
    published: Mapped[bool] = mapped_column(Boolean, default=False)
    provider: Mapped[str] = mapped_column(String(40), default="store")  # store | city-units
    builtin: Mapped[bool] = mapped_column(Boolean, default=False)
    synthetic: Mapped[bool] = mapped_column(Boolean, default=False)
    temporal: Mapped[bool] = mapped_column(Boolean, default=False)
    version: Mapped[int] = mapped_column(Integer, default=1)


class Feature(TimestampMixin, Base):
    """One feature of a stored layer: GeoJSON geometry in WGS 84 with its bounding box.

    `private` holds attributes never published (a parcel's owner reference); the spatial provider
    indexes the geometry (R*Tree on SQLite, a GiST expression index on PostGIS).
    """

    __tablename__ = "gis_features"
    __table_args__ = (
        UniqueConstraint("layer_id", "key"),
        Index("ix_gis_features_layer_bbox", "layer_id", "min_lon", "min_lat"),
    )

    id: Mapped[int] = mapped_column(IdType, primary_key=True)
    layer_id: Mapped[int] = mapped_column(ForeignKey("gis_layers.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(String(160))
    properties: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    private: Mapped[dict[str, Any] | None] = mapped_column(JSONType, nullable=True)
    geometry: Mapped[dict[str, Any]] = mapped_column(JSONType)
    min_lon: Mapped[float] = mapped_column(Float)
    min_lat: Mapped[float] = mapped_column(Float)
    max_lon: Mapped[float] = mapped_column(Float)
    max_lat: Mapped[float] = mapped_column(Float)
    valid_from: Mapped[date | None] = mapped_column(Date, nullable=True)
    valid_to: Mapped[date | None] = mapped_column(Date, nullable=True)  # inclusive; NULL: still valid
    synthetic: Mapped[bool] = mapped_column(Boolean, default=False)
    version: Mapped[int] = mapped_column(Integer, default=1)


class Inspection(TimestampMixin, Base):
    """A construction-order inspection (trật tự xây dựng) recorded against a parcel."""

    __tablename__ = "gis_inspections"

    id: Mapped[int] = mapped_column(IdType, primary_key=True)
    parcel_key: Mapped[str] = mapped_column(String(160), index=True)
    inspected_on: Mapped[date] = mapped_column(Date)
    inspector: Mapped[str] = mapped_column(String(200))
    finding: Mapped[str] = mapped_column(String(30))  # compliant | violation
    violations: Mapped[list[str]] = mapped_column(JSONType, default=list)
    decision: Mapped[str] = mapped_column(Text, default="")
    photos: Mapped[list[str]] = mapped_column(JSONType, default=list)
    lon: Mapped[float] = mapped_column(Float)
    lat: Mapped[float] = mapped_column(Float)
