"""A year of realistic reports for the demo city: places inside the wards, channels, handling, ratings;
and the demo citizen's own few, sent signed in from near her home."""

from __future__ import annotations

import contextlib
import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from shapely.geometry import Point, shape
from shapely.prepared import prep
from sqlalchemy import func, select

from smartcity.accounts import service as accounts_service
from smartcity.city import service as city_service
from smartcity.core import clock
from smartcity.core.config import Settings
from smartcity.core.crypto import Keys
from smartcity.core.db import Database
from smartcity.core.demo import DEMO_CITIZEN
from smartcity.core.errors import AppError, Conflict
from smartcity.core.security import Actor
from smartcity.feedback import service
from smartcity.feedback.config import get_feedback_settings
from smartcity.feedback.models import Report
from smartcity.feedback.schemas import ReportCreate

Progress = Callable[[int, int], None]

DESCRIPTIONS: dict[str, list[str]] = {
    "khan-cap": [
        "Cháy tại dãy nhà trọ, khói nhiều",
        "Tai nạn giao thông giữa xe tải và xe máy",
        "Cây đổ chắn ngang đường sau mưa lớn",
        "Trẻ em bị kẹt trong thang máy chung cư",
    ],
    "an-ninh-trat-tu": [
        "Nhóm thanh niên tụ tập gây ồn ào sau 23 giờ",
        "Lấn chiếm vỉa hè để buôn bán",
        "Nghi có trộm xe máy ở bãi giữ xe",
        "Karaoke hát lớn đến khuya",
    ],
    "giao-thong": [
        "Ùn tắc kéo dài giờ cao điểm ở ngã tư",
        "Xe tải đậu sai quy định che khuất tầm nhìn",
        "Biển báo bị gãy đổ",
        "Vạch sơn qua đường bị mờ",
    ],
    "den-tin-hieu": ["Đèn tín hiệu không hoạt động", "Đèn đỏ quá lâu, xe ùn ứ", "Đèn vàng nhấp nháy cả ngày"],
    "ha-tang": [
        "Ổ gà lớn giữa đường, xe máy dễ té",
        "Đèn đường tắt cả đoạn",
        "Nắp cống bị vỡ",
        "Ngập nước sau mưa, cống không thoát",
        "Vỉa hè bị bong tróc gạch",
    ],
    "moi-truong": [
        "Rác thải đổ trộm bên kênh",
        "Nước thải chảy ra đường, bốc mùi",
        "Khói bụi từ xưởng gỗ",
        "Đốt rác gây khói cả khu phố",
        "Tiếng ồn công trình ban đêm",
    ],
    "thu-tuc-hanh-chinh": [
        "Hồ sơ cấp phép xây dựng trễ hẹn",
        "Cán bộ hướng dẫn chưa rõ thủ tục",
        "Không đặt được lịch hẹn trực tuyến",
    ],
    "thong-tin": [
        "Hỏi lịch tiêm chủng mở rộng tại phường",
        "Góp ý bố trí thêm cây xanh công viên",
        "Hỏi về thủ tục đăng ký tạm trú",
    ],
}
CATEGORY_WEIGHTS = {
    "khan-cap": 3,
    "an-ninh-trat-tu": 10,
    "giao-thong": 12,
    "den-tin-hieu": 5,
    "ha-tang": 28,
    "moi-truong": 24,
    "thu-tuc-hanh-chinh": 8,
    "thong-tin": 10,
}
CHANNEL_WEIGHTS = {"hotline": 45, "zalo": 20, "app": 15, "web": 12, "email": 5, "open311": 3}
STREETS = [
    "Đại lộ Bình Dương",
    "Yersin",
    "Cách Mạng Tháng Tám",
    "Phú Lợi",
    "Huỳnh Văn Lũy",
    "Lê Hồng Phong",
    "Bạch Đằng",
    "Ngô Quyền",
    "Trần Văn Ơn",
    "Nguyễn Văn Tiết",
    "Lò Chén",
]


@dataclass(frozen=True)
class DemoSummary:
    """What the generator made."""

    reports: int
    resolved: int
    skipped: int


class _Places:
    """Random points inside the city's wards (on a date), by rejection sampling."""

    def __init__(self, db: Database, on: date, rng: random.Random) -> None:
        collection = city_service.wards_geojson(db, on=on)
        shapes = [shape(f["geometry"]) for f in collection["features"] if f.get("geometry")]
        if not shapes:
            raise AppError("No wards are loaded: load the city pack first (smartcity citypack load).")
        self.prepared = [prep(s) for s in shapes]
        bounds = [s.bounds for s in shapes]
        self.box = (
            min(b[0] for b in bounds),
            min(b[1] for b in bounds),
            max(b[2] for b in bounds),
            max(b[3] for b in bounds),
        )
        self.rng = rng

    def point(self) -> tuple[float, float]:
        """A point inside one of the wards."""
        while True:
            lon = round(self.rng.uniform(self.box[0], self.box[2]), 6)
            lat = round(self.rng.uniform(self.box[1], self.box[3]), 6)
            if any(p.covers(Point(lon, lat)) for p in self.prepared):
                return lon, lat


def _pick(rng: random.Random, weights: dict[str, int]) -> str:
    return rng.choices(list(weights), weights=list(weights.values()))[0]


def _moment(rng: random.Random, day: date, zone: ZoneInfo) -> datetime:
    hour = min(23, max(0, int(rng.gauss(13, 4))))
    return datetime.combine(day, time(hour, rng.randrange(60), rng.randrange(60)), tzinfo=zone)


def _handle(
    db: Database,
    rng: random.Random,
    code: str,
    key: str | None,
    at: datetime,
    deadline: datetime | None,
    now: datetime,
) -> bool:
    """Take a report through a plausible life; returns True when it was resolved."""
    # the demo operator of accounts.demo (Võ Thanh Sơn), so the history names a person
    operator = Actor(kind="user", name="vanhanh", roles=frozenset({("operator", None)}))
    accept_at = at + timedelta(minutes=rng.randint(5, 240))
    if accept_at > now:
        return False
    if rng.random() < 0.04:
        service.reject_report(
            db,
            actor=operator,
            code=code,
            at=accept_at,
            reason="Nội dung không thuộc thẩm quyền giải quyết; đã hướng dẫn người dân.",
        )
        return False
    service.accept_report(db, actor=operator, code=code, at=accept_at)
    service.assign_report(db, actor=operator, code=code, at=accept_at + timedelta(minutes=rng.randint(1, 60)))
    budget = (deadline - at) if deadline else timedelta(days=3)
    # About one report in eleven runs past its deadline (a unit waiting on another, a repair to budget).
    resolve_at = max(at + budget * rng.uniform(0.15, 1.08), accept_at + timedelta(hours=2))
    if resolve_at > now:
        return False
    service.start_report(db, actor=operator, code=code, at=accept_at + timedelta(hours=1))
    service.resolve_report(
        db, actor=operator, code=code, at=resolve_at, comment="Đơn vị đã kiểm tra và xử lý xong."
    )
    if rng.random() < 0.6:
        rating = rng.choices([1, 2, 3], weights=[12, 55, 33])[0]
        service.rate_report(
            db,
            actor=Actor(kind="anonymous", name="reporter"),
            code=code,
            rating=rating,
            reporter_key=key,
            at=min(resolve_at + timedelta(hours=rng.randint(1, 48)), now),
        )
    _close_when_due(db, code, resolve_at, now)
    return True


def _close_when_due(db: Database, code: str, resolved_at: datetime, now: datetime) -> None:
    """Close a resolved report the day its time to reopen ran out, as the timer would have (not all at once
    on the day the demo loads)."""
    closed_at = resolved_at + timedelta(days=get_feedback_settings().close_after_days, minutes=5)
    if closed_at >= now:
        return
    # The server's own timer (close_resolved) may close it first while the demo is loading.
    with contextlib.suppress(Conflict):
        service.close_report(
            db,
            actor=Actor.system("feedback.close_resolved"),
            code=code,
            comment="Tự động đóng sau thời hạn mở lại.",
            at=closed_at,
        )


def generate(
    db: Database,
    *,
    days: int = 365,
    per_day: int = 12,
    seed: int = 1022,
    secret: Keys,
    end: date | None = None,
    progress: Progress | None = None,
) -> DemoSummary:
    """Submit and handle about `per_day` reports a day over `days` days ending at `end` (today)."""
    rng = random.Random(seed)
    zone = clock.city_zone()
    reorganised = city_service.reorganisation_date()
    end = end or datetime.now(zone).date()
    now = datetime.now(zone)
    system = Actor.system("feedback.demo")
    service.ensure_default_categories(db, actor=system)
    places: dict[bool, _Places] = {}
    made = resolved = skipped = 0
    total = days * per_day
    for offset in range(days, 0, -1):
        day = end - timedelta(days=offset - 1)
        period = day >= reorganised
        if period not in places:
            places[period] = _Places(db, day, rng)
        for _ in range(max(0, int(rng.gauss(per_day, per_day**0.5)))):
            category = _pick(rng, CATEGORY_WEIGHTS)
            lon, lat = places[period].point()
            at = _moment(rng, day, zone)
            if at >= now:  # today's reports stop at the present: demo data is never dated in the future
                continue
            data = ReportCreate(
                category_code=category,
                description=rng.choice(DESCRIPTIONS[category]),
                lon=lon,
                lat=lat,
                address=f"{rng.randint(1, 400)} {rng.choice(STREETS)}",
                channel=_pick(rng, CHANNEL_WEIGHTS),
                is_public=rng.random() > 0.1,
                reporter_phone=f"09{rng.randint(10_000_000, 99_999_999)}" if rng.random() < 0.7 else None,
            )
            try:
                result = service.submit_report(db, actor=system, data=data, secret=secret, at=at)
            except AppError:
                skipped += 1
                continue
            made += 1
            report = result.report
            resolved += _handle(db, rng, report.code, result.reporter_key, at, report.deadline_at, now)
            if progress:
                progress(min(made + skipped, total), total)
    return DemoSummary(made, resolved, skipped)


# ------------------------------------------------------------------ the demo citizen's own reports


@dataclass(frozen=True)
class _HerReport:
    """One report the demo citizen sent, signed in on the portal: when (`days` before today, at `at` in the
    city's time), what, where near her home (a street of her ward), and how far it has gone: "resolved"
    (rated by her, then closed when the time to reopen it ran out), "in progress" or "received" (new)."""

    days: int
    at: time
    category: str
    description: str
    address: str
    stage: str
    comment: str = ""
    rating: int = 0
    rating_comment: str = ""


HER_REPORTS = (
    _HerReport(
        67,
        time(19, 10),
        "ha-tang",
        "Đèn đường tắt cả đoạn từ số 30 đến số 60 đường Yersin gần một tuần, buổi tối đi lại rất tối.",
        "Đoạn từ số 30 đến số 60 đường Yersin",
        "resolved",
        comment="Đã thay bộ điều khiển tủ điện chiếu sáng; cả đoạn đèn sáng lại từ tối nay.",
        rating=3,
        rating_comment="Đèn sáng lại rồi, cảm ơn các anh.",
    ),
    _HerReport(  # two days ago: within the 3 working days of an environment report
        2,
        time(7, 15),
        "moi-truong",
        "Rác thải đổ trộm ở đầu hẻm 45 đường Yersin, mấy ngày chưa ai dọn, bốc mùi.",
        "Đầu hẻm 45 đường Yersin",
        "in progress",
    ),
    _HerReport(  # this evening, or just before now when the evening has not come yet
        0,
        time(19, 40),
        "ha-tang",
        "Nắp cống trước nhà số 41 đường Yersin bị vỡ một góc, xe máy dễ sụp bánh.",
        "Trước nhà số 41 đường Yersin",
        "received",
    ),
)


def _near_her_home(db: Database, on: date, rng: random.Random, count: int) -> list[tuple[float, float]]:
    """`count` points within about 300 m of one another inside the demo citizen's ward (on `on`)."""
    collection = city_service.wards_geojson(db, on=on)
    ward = next(
        (shape(f["geometry"]) for f in collection["features"] if f["id"] == DEMO_CITIZEN.ward_code), None
    )
    if ward is None:
        raise AppError(f"The demo citizen's ward {DEMO_CITIZEN.ward_code} is not loaded.")
    home, inside = ward.representative_point(), prep(ward)
    points: list[tuple[float, float]] = []
    while len(points) < count:
        lon = round(home.x + rng.uniform(-0.003, 0.003), 6)
        lat = round(home.y + rng.uniform(-0.003, 0.003), 6)
        if inside.covers(Point(lon, lat)):
            points.append((lon, lat))
    return points


def give_reports_to_demo_citizen(db: Database, *, secret: Keys, now: datetime | None = None) -> int:
    """The demo citizen's own reports (HER_REPORTS), sent signed in so that they are hers on /cua-toi:
    one resolved and rated by her, one being handled, one just received; none dated after `now`.
    Made once: nothing is added when she already has reports. Returns how many were made."""
    user = accounts_service.get_user_by_username(db, DEMO_CITIZEN.username)
    if user is None:
        return 0
    with db.session() as s:
        if s.scalar(select(func.count()).select_from(Report).where(Report.reporter_user_id == user.id)):
            return 0
    her = Actor(kind="user", name=user.username, user_id=user.id, roles=frozenset({("citizen", None)}))
    operator = Actor(kind="user", name="vanhanh", roles=frozenset({("operator", None)}))
    zone = clock.city_zone()
    now = (now or clock.now()).astimezone(zone)
    service.ensure_default_categories(db, actor=Actor.system("feedback.demo"))
    places = _near_her_home(db, now.date(), random.Random(DEMO_CITIZEN.ward_code), len(HER_REPORTS))
    for mine, (lon, lat) in zip(HER_REPORTS, places, strict=True):
        at = min(
            datetime.combine(now.date() - timedelta(days=mine.days), mine.at, tzinfo=zone),
            (now - timedelta(minutes=25)).replace(microsecond=0),
        )
        data = ReportCreate(
            category_code=mine.category,
            description=mine.description,
            lon=lon,
            lat=lat,
            address=mine.address,
            channel="web",
            is_public=True,
            reporter_name=DEMO_CITIZEN.full_name,
            reporter_phone=DEMO_CITIZEN.phone,
        )
        code = service.submit_report(db, actor=her, data=data, secret=secret, at=at).report.code
        if mine.stage == "received":
            continue
        service.accept_report(db, actor=operator, code=code, at=at + timedelta(minutes=35))
        service.assign_report(db, actor=operator, code=code, at=at + timedelta(minutes=50))
        next_morning = datetime.combine(at.date() + timedelta(days=1), time(8, 30), tzinfo=zone)
        service.start_report(db, actor=operator, code=code, at=next_morning)
        if mine.stage == "resolved":
            resolved = next_morning + timedelta(days=1, hours=6)
            service.resolve_report(db, actor=operator, code=code, at=resolved, comment=mine.comment)
            service.rate_report(
                db,
                actor=her,
                code=code,
                rating=mine.rating,
                comment=mine.rating_comment,
                at=resolved + timedelta(hours=4, minutes=20),
            )
            _close_when_due(db, code, resolved, now)  # when her time to reopen it ran out
    return len(HER_REPORTS)


DEMO_DAYS = 365
DEMO_PER_DAY = 4


def load_demo(db: Database, *, settings: Settings, actor: Actor) -> str:
    """Seed a year of reports the first time (about 1,500); later runs leave them as they are."""
    from smartcity.feedback.service import ReportFilter, list_reports

    _reports, total = list_reports(db, actor=actor, filters=ReportFilter(public_only=False), limit=1)
    if total:
        hers = give_reports_to_demo_citizen(db, secret=settings.personal_keys)
        return f"{total} reports already there" + (f", {hers} of the demo citizen added" if hers else "")
    summary = generate(db, days=DEMO_DAYS, per_day=DEMO_PER_DAY, secret=settings.personal_keys)
    hers = give_reports_to_demo_citizen(db, secret=settings.personal_keys)
    return (
        f"{summary.reports} reports over {DEMO_DAYS} days ({summary.resolved} resolved; "
        f"and {hers} of the demo citizen's own)"
    )
