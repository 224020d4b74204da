"""Demo data: the 2016–2020 programme totals from the city's article, and the current year under way."""

from __future__ import annotations

import io
import itertools
import json
import random
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from PIL import Image, ImageDraw
from shapely.geometry import LineString, Point, shape
from shapely.prepared import prep
from sqlalchemy import func, select

from smartcity.city import service as city_service
from smartcity.city.schemas import AdministrativeUnitRead
from smartcity.core import clock
from smartcity.core.config import Settings
from smartcity.core.db import Database
from smartcity.core.security import Actor
from smartcity.investment import models
from smartcity.investment.photos import photo_store, thumbnail

BOUNDARY = Path(__file__).parents[1] / "city" / "packs" / "thu-dau-mot" / "boundary.geojson"
STREETS = (
    "Đại lộ Bình Dương",
    "Cách Mạng Tháng Tám",
    "Yersin",
    "Phú Lợi",
    "Huỳnh Văn Lũy",
    "Lê Hồng Phong",
    "Nguyễn Văn Tiết",
    "Trần Văn Ơn",
    "Ngô Quyền",
    "Bạch Đằng",
    "Văn Công Khai",
    "Thích Quảng Đức",
    "Hoàng Hoa Thám",
    "Lò Chén",
    "Nguyễn Tri Phương",
    "Phạm Ngọc Thạch",
    "Mỹ Phước – Tân Vạn",
    "Lê Thị Trung",
    "Nguyễn Đức Thuận",
    "Hồ Văn Cống",
    "Bùi Quốc Khánh",
    "Trần Phú",
    "Đoàn Trần Nghiệp",
)
OTHER_KINDS = (  # a kind and how its works are named: where they are, by street, quarter or ward
    ("drainage", "Hệ thống thoát nước {street}, {ward}"),
    ("school", "Trường {level} {place}"),
    ("health", "Trạm y tế {ward}"),
    ("lighting", "Chiếu sáng công cộng {street}, {ward}"),
    ("public_building", "Nhà văn hóa khu phố {quarter}, {ward}"),
)
# The article (shared/seed): 2016–2020, million VND.
PROVINCE = ("2016-2020-province", 61, 3_048_000, "Sở Kế hoạch và Đầu tư tỉnh Bình Dương")
CITY = ("2016-2020-city", 106, 2_318_700, "Ban Quản lý dự án đầu tư xây dựng thành phố")
ROADS_ALLOCATED, ROADS_DISBURSED, ROADS_PAID = 3_558_800, 1_992_700, 77
ROADS_PER_PROGRAMME = {PROVINCE[0]: 40, CITY[0]: 50}


def split(total: int, count: int, rng: random.Random) -> list[int]:
    """`count` positive integers of uneven size summing exactly to `total`."""
    weights = [rng.uniform(0.4, 1.6) for _ in range(count)]
    parts = [int(total * w / sum(weights)) for w in weights]
    parts[-1] += total - sum(parts)
    return parts


def _line(area: Any, rng: random.Random) -> dict[str, Any]:
    """A short street-like line (about 0.5–2 km) lying inside the city."""
    (minx, miny, maxx, maxy), inside = area.context.bounds, area
    while True:
        x, y = rng.uniform(minx, maxx), rng.uniform(miny, maxy)
        length, heading = rng.uniform(0.005, 0.018), rng.choice([(1, 0.2), (0.2, 1), (0.7, 0.7), (0.7, -0.7)])
        pts = [(x + i * length / 3 * heading[0], y + i * length / 3 * heading[1]) for i in range(4)]
        if inside.contains(LineString(pts)):
            return {"type": "LineString", "coordinates": [[round(a, 6), round(b, 6)] for a, b in pts]}


def _polygon(area: Any, rng: random.Random) -> dict[str, Any]:
    """A small site (about 100 m square) inside the city."""
    (minx, miny, maxx, maxy) = area.context.bounds
    while True:
        x, y = rng.uniform(minx, maxx), rng.uniform(miny, maxy)
        d = 0.0009
        ring = [(x, y), (x + d, y), (x + d, y + d), (x, y + d), (x, y)]
        if area.contains(Point(x, y)) and area.contains(Point(x + d, y + d)):
            return {"type": "Polygon", "coordinates": [[[round(a, 6), round(b, 6)] for a, b in ring]]}


def _road(street: str) -> str:
    """A street as a project's name says it: "đường Yersin", but "Đại lộ Bình Dương" (an avenue already)."""
    return street if street.startswith("Đại lộ") else f"đường {street}"


def _ward(db: Database, geometry: dict[str, Any], on: date) -> AdministrativeUnitRead | None:
    """The ward (valid on `on`) at the middle of the geometry, None outside every ward."""
    mid = shape(geometry).representative_point()
    return city_service.ward_at(db, lon=mid.x, lat=mid.y, on=on)


def _work_name(pattern: str, n: int, ward: AdministrativeUnitRead | None, taken: set[str]) -> str:
    """The `n`th work's name from its kind's pattern ("Trạm y tế phường Phú Lợi"), unique among `taken`."""
    place = ward.name.removeprefix(ward.type).strip() if ward else city_service.city_name()
    where = f"{ward.type.lower() if ward else 'thành phố'} {place}"
    level = ("mầm non", "tiểu học", "trung học cơ sở")[n % 3]
    first = pattern.format(
        street=_road(STREETS[n % len(STREETS)]), quarter=n % 9 + 1, ward=where, place=place, level=level
    )
    # a second work of the kind there is its next stage
    stages = (f"{first} (giai đoạn {k})" for k in itertools.count(2))
    name = next(name for name in itertools.chain([first], stages) if name not in taken)
    taken.add(name)
    return name


def _programme(
    db: Database, rng: random.Random, area: Any, programme: tuple[str, int, int, str], taken: set[str]
) -> list[models.Project]:
    """One programme's projects: the roads first, then other works, totals exact."""
    code, count, total, investor = programme
    roads = ROADS_PER_PROGRAMME[code]
    amounts, projects = split(total, count, rng), []
    offset = 0 if code == PROVINCE[0] else PROVINCE[1]  # names run on across both programmes
    for i, amount in enumerate(amounts):
        n = i + offset
        start = date(rng.randint(2016, 2019), rng.randint(1, 12), rng.randint(1, 28))
        if i < roads:
            street = STREETS[n % len(STREETS)]
            kind, name, geometry = (
                "road",
                f"Nâng cấp, mở rộng {_road(street)} (đoạn {n // len(STREETS) + 1})",
                _line(area, rng),
            )
            ward = _ward(db, geometry, start)
        else:
            (kind, pattern), geometry = OTHER_KINDS[i % len(OTHER_KINDS)], _polygon(area, rng)
            ward = _ward(db, geometry, start)
            name = _work_name(pattern, n, ward, taken)
        group = "B" if amount >= (240_000 if kind == "road" else 90_000) else "C"
        projects.append(
            models.Project(
                code=f"{'TP' if code.endswith('city') else 'T'}-{start.year}-{i + 1:03d}",
                name=name,
                group=group,
                kind=kind,
                investor=investor,
                phase="settled",
                programme=code,
                total_investment=amount,
                ward_codes=[ward.code] if ward else [],
                geometry=geometry,
                start_date=start,
                expected_end=start + timedelta(days=rng.randint(400, 900)),
                progress_percent=100,
            )
        )
    return projects


def _past_money(rng: random.Random, projects: list[models.Project]) -> list[Any]:
    """2016–2020 plans and disbursements; roads allocated and paid exactly as in the article."""
    rows: list[Any] = []
    roads = [p for p in projects if p.kind == "road"]
    for project, planned in zip(roads, split(ROADS_ALLOCATED, len(roads), rng), strict=True):
        year = project.start_date.year  # type: ignore[union-attr]
        rows.append(models.CapitalPlan(project_id=project.id, year=year, source="province", amount=planned))
    paid_roads = roads[:ROADS_PAID]
    for project, paid in zip(paid_roads, split(ROADS_DISBURSED, ROADS_PAID, rng), strict=True):
        year = project.start_date.year  # type: ignore[union-attr]
        rows.append(
            models.Disbursement(
                project_id=project.id,
                plan_year=year,
                source="province",
                paid_on=date(year, 11, 20),
                amount=paid,
            )
        )
    for project in (p for p in projects if p.kind != "road"):
        year, planned = project.start_date.year, project.total_investment  # type: ignore[union-attr]
        rows.append(models.CapitalPlan(project_id=project.id, year=year, source="city", amount=planned))
        rows.append(
            models.Disbursement(
                project_id=project.id,
                plan_year=year,
                source="city",
                paid_on=date(year, 12, 15),
                amount=planned * rng.randint(70, 100) // 100,
            )
        )
    return rows


def _current_year(db: Database, rng: random.Random, area: Any, today: date, taken: set[str]) -> None:
    """This year's projects under way: plans and payments up to today, some slipping."""
    year = today.year
    with db.write_session() as session:
        for i in range(14):
            street = STREETS[(i * 5) % len(STREETS)]
            kind, pattern = ("road", "") if i % 2 == 0 else OTHER_KINDS[i % len(OTHER_KINDS)]
            geometry = _line(area, rng) if kind == "road" else _polygon(area, rng)
            start = date(year - 1, rng.randint(3, 12), rng.randint(1, 28))
            ward = _ward(db, geometry, today)
            name = f"Cải tạo {_road(street)}" if kind == "road" else _work_name(pattern, i, ward, taken)
            project = models.Project(
                code=f"DA-{year}-{i + 1:03d}",
                name=name,
                group="C",
                kind=kind,
                phase="implementation",
                investor=CITY[3],
                total_investment=rng.randint(20, 200) * 1000,
                ward_codes=[ward.code] if ward else [],
                geometry=geometry,
                start_date=start,
                expected_end=date(year + 1, rng.randint(1, 12), 28),
                progress_percent=rng.randint(5, 90),
            )
            session.add(project)
            session.flush()
            planned = project.total_investment // 2
            session.add(models.CapitalPlan(project_id=project.id, year=year, source="city", amount=planned))
            share = rng.choice([0.05, 0.15, 0.3, 0.5, 0.7, 0.85])
            for month in range(2, today.month + 1, 2):
                paid_on = date(year, month, 10)
                if paid_on <= today:
                    amount = int(planned * share / max(1, today.month // 2))
                    session.add(
                        models.Disbursement(
                            project_id=project.id,
                            plan_year=year,
                            source="city",
                            paid_on=paid_on,
                            amount=amount,
                        )
                    )


CONTRACTORS = (
    "Công ty CP Xây dựng Giao thông Bình Dương",
    "Công ty TNHH Xây dựng Phú Lợi",
    "Công ty CP Đầu tư Xây dựng Thủ Dầu Một",
    "Công ty CP Cấp thoát nước Sông Bé",
)
DELAY_REASONS = (
    "Vướng giải phóng mặt bằng, chưa bàn giao đủ mặt bằng thi công",
    "Di dời hạ tầng kỹ thuật (điện, nước, viễn thông) chậm",
    "Giá vật liệu xây dựng tăng, nhà thầu thiếu vốn",
    "Mưa kéo dài trong mùa mưa",
)
SIGNER = "Phó Chủ tịch UBND thành phố"


def _past_records(project: models.Project, rng: random.Random) -> list[Any]:
    """A settled project's approval decision (its total) and its final settlement."""
    start = project.start_date or date(2016, 1, 1)
    approved = start - timedelta(days=rng.randint(60, 200))
    end = project.expected_end or start
    return [
        models.Decision(
            project_id=project.id,
            kind="approval",
            number=f"{rng.randint(100, 4000)}/QĐ-UBND",
            signed_on=approved,
            signer=SIGNER,
            total_investment=project.total_investment,
        ),
        models.Settlement(
            project_id=project.id,
            settled_value=project.total_investment * rng.randint(90, 99) // 100,
            settled_on=end + timedelta(days=rng.randint(120, 300)),
            decision_number=f"{rng.randint(100, 4000)}/QĐ-UBND",
        ),
    ]


def _live_records(project: models.Project, rng: random.Random, today: date, i: int) -> list[Any]:
    """A project under way: decisions, milestones, progress over time, contract, delays, plans."""
    start = project.start_date or today
    total = project.total_investment
    first = total * rng.randint(85, 95) // 100
    rows: list[Any] = [
        models.Decision(
            project_id=project.id,
            kind="approval",
            number=f"{1200 + i}/QĐ-UBND",
            signed_on=start - timedelta(days=90),
            signer=SIGNER,
            total_investment=first,
        ),
        models.Decision(
            project_id=project.id,
            kind="adjustment",
            number=f"{2400 + i}/QĐ-UBND",
            signed_on=min(today, start + timedelta(days=150)),
            signer=SIGNER,
            total_investment=total,
        ),
        models.MediumTermPlan(
            project_id=project.id, period="2026-2030", source="city", amount=total * 3 // 5
        ),
        models.MediumTermPlan(
            project_id=project.id, period="2026-2030", source="province", amount=total * 2 // 5
        ),
        models.CapitalAdjustment(
            project_id=project.id,
            year=today.year,
            source="city",
            amount=rng.choice([-1, 1]) * total // 20,
            decided_on=date(today.year, 7, 15),
            reason="Điều chuyển vốn giữa các dự án giữa năm",
        ),
    ]
    signed = start + timedelta(days=20)
    ends = project.expected_end or today
    rows.append(
        models.Contract(
            project_id=project.id,
            number=f"{i + 1:02d}/{start.year}/HĐXD",
            contractor=CONTRACTORS[i % len(CONTRACTORS)],
            value=total * 8 // 10,
            signed_on=signed,
            ends_on=ends,
            performance_guarantee=total * 8 // 100,
            performance_guarantee_until=ends + timedelta(days=30),
            advance_guarantee=total * 15 // 100,
            advance_guarantee_until=today + timedelta(days=(-10, 20, 200)[i % 3]),
        )
    )
    steps = ("Khởi công", "Hoàn thành phần móng, nền", "Hoàn thành kết cấu chính", "Nghiệm thu, bàn giao")
    span = (ends - start).days
    for n, name in enumerate(steps):
        planned = start + timedelta(days=span * n // 3)
        late = i % 4 == 1 and n == 1
        actual = planned + timedelta(days=rng.randint(0, 25)) if planned < today and not late else None
        rows.append(
            models.Milestone(
                project_id=project.id,
                name=name,
                planned_on=planned,
                actual_on=actual if actual and actual <= today else None,
            )
        )
    reported, percent = start, 0
    while (reported := reported + timedelta(days=60)) <= today and percent < project.progress_percent:
        percent = min(project.progress_percent, percent + rng.randint(5, 20))
        rows.append(models.ProgressReport(project_id=project.id, reported_on=reported, percent=percent))
    rows.append(
        models.ProgressReport(project_id=project.id, reported_on=today, percent=project.progress_percent)
    )
    if i % 3 == 0:
        rows.append(
            models.Delay(
                project_id=project.id,
                reported_on=today - timedelta(days=40 + i),
                days=rng.randint(20, 90),
                reason=DELAY_REASONS[i % len(DELAY_REASONS)],
            )
        )
    return rows


def _progress(db: Database, rng: random.Random, today: date) -> None:
    """Decisions and settlements of the past; progress, contracts and money of the works under way."""
    with db.write_session() as session:
        projects = list(session.scalars(select(models.Project).order_by(models.Project.id)))
        for project in projects:
            if project.phase == "settled":
                session.add_all(_past_records(project, rng))
        live = [p for p in projects if p.phase == "implementation"]
        for i, project in enumerate(live):
            session.add_all(_live_records(project, rng, today, i))
        last = today.year - 1
        for i, project in enumerate(live[:4]):
            planned = project.total_investment // 4
            session.add(models.CapitalPlan(project_id=project.id, year=last, source="city", amount=planned))
            paid_share = (60, 75, 90, 80)[i]
            session.add(
                models.Disbursement(
                    project_id=project.id,
                    plan_year=last,
                    source="city",
                    paid_on=date(last, 11, 20),
                    amount=planned * paid_share // 100,
                )
            )
            if i % 2 == 0:
                session.add(
                    models.CarryOverExtension(
                        project_id=project.id,
                        plan_year=last,
                        decision_number=f"{300 + i}/QĐ-UBND",
                        decided_on=date(today.year, 1, 20),
                    )
                )
                session.add(
                    models.Disbursement(
                        project_id=project.id,
                        plan_year=last,
                        source="city",
                        paid_on=date(today.year, 5, 15),
                        amount=planned * 10 // 100,
                    )
                )


def _site_image(rng: random.Random) -> bytes:
    """A synthetic site picture (sky, earthworks, a crane) as PNG."""
    image = Image.new("RGB", (640, 420), (150, 190, 225))
    draw = ImageDraw.Draw(image)
    ground = rng.randint(220, 280)
    draw.rectangle((0, ground, 640, 420), fill=(150, 110, 70))
    x = rng.randint(80, 520)
    draw.rectangle((x, 60, x + 12, ground), fill=(240, 180, 20))
    draw.rectangle((x - 120, 60, x + 160, 72), fill=(240, 180, 20))
    for _ in range(6):
        bx = rng.randint(0, 600)
        draw.rectangle((bx, ground - 30, bx + 40, ground), fill=(120, 120, 120))
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


def _photos(db: Database, settings: Settings, rng: random.Random, today: date) -> None:
    """Two dated, located site photos of each work under way, in the file store."""
    store = photo_store(settings)
    with db.write_session() as session:
        live = list(session.scalars(select(models.Project).where(models.Project.phase == "implementation")))
        for project in live:
            centre = shape(project.geometry).representative_point() if project.geometry else None
            for n in range(2):
                content = _site_image(rng)
                taken = today - timedelta(days=rng.randint(3, 60) + 60 * n)
                session.add(
                    models.SitePhoto(
                        project_id=project.id,
                        sha256=store.put(content),
                        thumb_sha256=store.put(thumbnail(content) or content),
                        media_type="image/png",
                        taken_on=taken,
                        lon=round(centre.x, 6) if centre else None,
                        lat=round(centre.y, 6) if centre else None,
                        caption=("Thi công nền, móng", "Lắp dựng kết cấu")[n],
                    )
                )


def load_demo(db: Database, *, settings: Settings, actor: Actor) -> str:
    """Load the programme totals and the current year once (idempotent); a line for the console."""
    with db.session() as session:
        if session.scalar(select(models.Project.id).limit(1)) is not None:
            return "already there"
    rng = random.Random(2020)
    boundary = json.loads(BOUNDARY.read_text(encoding="utf-8"))
    geometry = boundary["features"][0]["geometry"] if "features" in boundary else boundary["geometry"]
    area = prep(shape(geometry).buffer(-0.002))
    taken: set[str] = set()  # the works' names so far: no two alike
    projects = _programme(db, rng, area, PROVINCE, taken) + _programme(db, rng, area, CITY, taken)
    with db.write_session() as session:
        session.add_all(projects)
        session.flush()
        session.add_all(_past_money(rng, projects))
    _current_year(db, rng, area, clock.today(settings), taken)
    _progress(db, rng, clock.today(settings))
    _photos(db, settings, rng, clock.today(settings))
    with db.session() as session:
        count = session.scalar(select(func.count()).select_from(models.Project)) or 0
    return f"{count} projects: the 2016–2020 programme and this year's plans and disbursements"
