"""Demo cameras of Thủ Dầu Một: traffic cameras at busy junctions (flow per lane for a week) and security
cameras at the market, park and ward office, with the past week's events (snapshots are labelled drawings)."""

from __future__ import annotations

import io
import math
import random
from datetime import datetime, timedelta
from typing import Any

from PIL import Image, ImageDraw, ImageFont

from smartcity.cameras import service
from smartcity.cameras.schemas import CameraCreate, EventIn
from smartcity.core import clock
from smartcity.core.config import Settings
from smartcity.core.db import Database
from smartcity.core.security import Actor
from smartcity.iot import service as iot_service

CAMERAS = (
    ("CAM-NGA6", "Vòng xoay Ngã Sáu", "traffic", "Vòng xoay Ngã Sáu", 2, 106.6581, 10.9776),
    ("CAM-DLBD-PL", "Đại lộ Bình Dương – Phú Lợi", "traffic", "Đại lộ Bình Dương", 3, 106.6620, 10.9840),
    (
        "CAM-CMT8-YS",
        "Cách Mạng Tháng Tám – Yersin",
        "traffic",
        "Đường Cách Mạng Tháng Tám",
        2,
        106.6545,
        10.9805,
    ),
    ("CAM-HVL-LHP", "Huỳnh Văn Lũy – Lê Hồng Phong", "traffic", "Đường Huỳnh Văn Lũy", 2, 106.6755, 11.0083),
    ("CAM-BD-DBL", "Bạch Đằng – Đinh Bộ Lĩnh", "traffic", "Đường Bạch Đằng", 2, 106.6519, 10.9796),
    ("CAM-CHO", "Chợ Thủ Dầu Một", "security", None, 0, 106.6522, 10.9790),
    ("CAM-CV-PC", "Công viên Phú Cường", "security", None, 0, 106.6468, 10.9862),
    ("CAM-UBND", "Trụ sở UBND phường Thủ Dầu Một", "security", None, 0, 106.6528, 10.9803),
)
# camera, kind, hours ago, lane, acknowledged, note
EVENTS = (
    ("CAM-NGA6", "accident", 130, 1, True, "Va chạm giữa xe máy và ô tô con"),
    ("CAM-DLBD-PL", "stopped_vehicle", 100, 3, True, "Xe tải dừng trên làn phải"),
    ("CAM-BD-DBL", "flooding", 76, 2, True, "Nước ngập mặt đường khi triều cường"),
    ("CAM-CHO", "crowd", 50, None, True, "Tập trung đông người trước cổng chợ"),
    ("CAM-HVL-LHP", "wrong_way", 28, 1, True, "Xe máy đi ngược chiều"),
    ("CAM-CV-PC", "smoke", 9, None, True, "Khói từ đốt lá cây trong công viên"),
    ("CAM-CMT8-YS", "stopped_vehicle", 2, 2, False, "Xe ô tô dừng lâu trước giao lộ"),
)


def _snapshot(camera: str, kind: str, at: datetime) -> bytes:
    """A drawn placeholder snapshot, labelled as such (no real imagery in a demo)."""
    image = Image.new("RGB", (480, 270), (70, 80, 90))
    draw = ImageDraw.Draw(image)
    font: Any
    try:
        font = ImageFont.truetype("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf", 18)
    except OSError:
        font = ImageFont.load_default()
    draw.rectangle((10, 10, 470, 260), outline=(200, 200, 200), width=2)
    draw.text((24, 24), "ẢNH MINH HOẠ — DỮ LIỆU MÔ PHỎNG", fill=(255, 255, 255), font=font)
    draw.text((24, 60), f"{camera} · {service.EVENT_NAMES[kind]}", fill=(255, 230, 120), font=font)
    draw.text((24, 96), at.strftime("%d/%m/%Y %H:%M"), fill=(220, 220, 220), font=font)
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


def load_demo(db: Database, *, settings: Settings, actor: Actor) -> str:
    """Install the demo cameras with a week of lane flows and past events (once)."""
    if service.list_cameras(db):
        return "cameras already there"
    for cid, name, kind, road, lanes, lon, lat in CAMERAS:
        service.create_camera(
            db,
            actor=actor,
            data=CameraCreate(
                id=cid,
                name=name,
                kind=kind,
                road=road,
                lanes=lanes,
                lon=lon,
                lat=lat,
                stream_url=f"rtsp://camera.example.invalid/{cid.lower()}/main",  # placeholder address
                tags=["simulate"],
            ),
        )
    now = clock.now()
    messages = _flows(settings, now)
    for i in range(0, len(messages), 1000):
        iot_service.ingest(db, envelopes=messages[i : i + 1000], now=now)
    store = service.snapshots(db)
    for cid, kind, hours, lane, acknowledged, note in EVENTS:
        at = now - timedelta(hours=hours, minutes=17)
        digest = store.put(_snapshot(cid, kind, clock.local(at, settings)))
        event, _created = service.report_event(
            db,
            actor=actor,
            camera_id=cid,
            data=EventIn(
                event_id=f"demo-{cid}-{hours}",
                kind=kind,
                occurred_at=at,
                lane=lane,
                confidence=0.9,
                note=note,
            ),
            snapshot=(digest, "image/png"),
        )
        if acknowledged:
            service.acknowledge_event(db, actor=Actor.system("demo"), event_id=event.id)
    return f"{len(CAMERAS)} cameras, {len(messages)} flow readings, {len(EVENTS)} events"


def _flows(settings: Settings, now: datetime) -> list[Any]:
    """Hourly counts per lane: rush hours at 07:30 and 17:30, slower when busy (congested below 15 km/h)."""
    rng = random.Random(37122)
    messages = []
    start = (now - timedelta(days=7)).replace(minute=30, second=0, microsecond=0)
    for cid, _name, kind, _road, lanes, _lon, _lat in CAMERAS:
        if kind != "traffic":
            continue
        for lane in range(1, lanes + 1):
            at = start
            while at < now:
                hour = clock.local(at, settings).hour + 0.5
                rush = math.exp(-((hour - 7.5) ** 2) / 2) + math.exp(-((hour - 17.5) ** 2) / 2)
                vehicles = max(0, int(rng.gauss(250 + 1400 * rush, 40)))
                speed = max(6.0, 42 - 30 * rush + rng.gauss(0, 3))
                values = {
                    "intensity": vehicles,
                    "averageVehicleSpeed": round(speed, 1),
                    "occupancy": round(min(1.0, 0.08 + 0.6 * rush), 2),
                    "congested": speed < 15,
                }
                messages.append(
                    iot_service.Envelope(
                        payload={"ts": at.isoformat(), "msg_id": f"demo-{at:%Y%m%d%H}", "values": values},
                        device_id=service.lane_device(cid, lane),
                    )
                )
                at += timedelta(hours=1)
    return messages
