"""Demo data of the portal: news and announcements drawn from the city's own story, all dated in the past."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from babel.numbers import format_decimal
from sqlalchemy import select

from smartcity.accounts import service as accounts
from smartcity.city import service as city_service
from smartcity.core import clock
from smartcity.core.config import Settings
from smartcity.core.db import Database
from smartcity.core.kpis import KpiContext, KpiValue
from smartcity.core.security import Actor
from smartcity.domains import collect
from smartcity.dossiers import service as dossiers
from smartcity.portal.models import Post
from smartcity.portal.schemas import PostInput
from smartcity.portal.service import create_post

SMART_CITY_ARTICLE = PostInput(
    kind="news",
    slug="xay-dung-thu-dau-mot-do-thi-thong-minh",
    title_vi="Xây dựng và phát triển thành phố Thủ Dầu Một theo hướng đô thị thông minh",
    title_en="Building Thủ Dầu Một into a smart city",
    summary_vi=(
        "Công khai 100% thủ tục hành chính trên cổng thông tin; 43 thủ tục mức độ 3 và 157 thủ tục mức độ 4 "
        "trên tổng số 278 thủ tục thuộc thẩm quyền; đường dây nóng 1022."
    ),
    summary_en=(
        "All administrative procedures published on the portal; 43 at level 3 and 157 at level 4 of the 278 "
        "in the city's remit; the 1022 hotline."
    ),
    body_vi=(
        "Tháng 8/2020, Chương trình số 04-CTr/TU về xây dựng và phát triển thành phố Thủ Dầu Một theo hướng "
        "đô thị thông minh, giai đoạn 2020-2025 và các năm tiếp theo được ban hành. Tăng trưởng kinh tế của "
        "thành phố bình quân hằng năm đạt 26,85%; cơ cấu dịch vụ - công nghiệp - nông nghiệp là 60,89% - "
        "39,07% - 0,04%.\n\n"
        "UBND thành phố đã nâng cấp cổng thông tin điện tử theo hướng dễ tiếp cận, công khai 100% thủ tục "
        "hành chính. Thành phố triển khai 43 thủ tục mức độ 3, 157 thủ tục mức độ 4 trên tổng số 278 thủ tục "
        "thuộc thẩm quyền, cùng phần mềm đánh giá thái độ phục vụ tại bộ phận một cửa.\n\n"
        "Giai đoạn 2016-2020, ngân sách tỉnh bố trí vốn cho 61 dự án với tổng vốn đầu tư 3.048 tỷ đồng; ngân "
        "sách thành phố cho 106 công trình với tổng vốn 2.318,7 tỷ đồng. Thành phố đã cấp 1.922 giấy chứng "
        "nhận số nhà mới và cấp đổi 655 giấy chứng nhận bằng hình thức trực tuyến.\n\n"
        "Trong giáo dục, phần mềm quản lý học sinh, quản lý thu và tài sản được triển khai đến 57 "
        "trường công lập; trong y tế, khoảng 50% dân cư có bệnh án điện tử."
    ),
    body_en=(
        "In August 2020 Programme 04-CTr/TU on building and developing Thủ Dầu Một city as a smart city, "
        "for 2020-2025 and the following years, was adopted. The city's economy grew by 26.85% a year on "
        "average; services, industry and agriculture make up 60.89%, 39.07% and 0.04% of it.\n\n"
        "The city's People's Committee upgraded the portal to be easy to use and to publish 100% of the "
        "administrative procedures. The city offers 43 procedures at level 3 and 157 at level 4 of the 278 "
        "in its remit, with software at the one-stop desk to rate how people were served.\n\n"
        "In 2016-2020 the provincial budget funded 61 projects with a total investment of VND 3,048 billion, "
        "and the city's budget 106 works with a total of VND 2,318.7 billion. The city issued 1,922 new "
        "house-number certificates and renewed 655 online.\n\n"
        "In education, software to manage pupils, fee collection and assets is used in 57 public schools; "
        "in health, about 50% of residents have an electronic health record."
    ),
    publish=True,
)
MORE_NEWS = (
    PostInput(
        kind="news",
        slug="cap-giay-chung-nhan-so-nha-truc-tuyen",
        title_vi="Cấp giấy chứng nhận số nhà trực tuyến: 1.922 giấy mới, 655 giấy cấp đổi",
        title_en="House-number certificates online: 1,922 new and 655 renewed",
        summary_vi="Người dân nộp hồ sơ cấp số nhà trên cổng, theo dõi tiến độ và nhận kết quả có chữ ký số.",
        summary_en="Apply for a house number on the portal, follow it and receive a digitally signed result.",
        body_vi=(
            "Thành phố đã cấp 1.922 giấy chứng nhận số nhà mới và cấp đổi 655 giấy chứng nhận bằng hình thức "
            "trực tuyến. Số nhà được đánh theo quy tắc: số lẻ bên trái, số chẵn bên phải, tính từ đầu tuyến "
            'đường.\n\nTìm thủ tục "Cấp số nhà" trong mục Thủ tục hành chính để nộp hồ sơ.'
        ),
        body_en=(
            "The city issued 1,922 new house-number certificates and renewed 655 online. Houses are numbered "
            "odd on the left and even on the right, counted from the start of the street.\n\n"
            'Look for the procedure "Cấp số nhà" (house numbers) under Administrative procedures to apply.'
        ),
        publish=True,
    ),
    PostInput(
        kind="news",
        slug="thung-rac-ngam-dinh-bo-linh-bach-dang",
        title_vi="Trụ bỏ rác và thùng chứa rác ngầm tại giao lộ Đinh Bộ Lĩnh - Bạch Đằng",
        title_en="Underground waste bins at the Đinh Bộ Lĩnh - Bạch Đằng junction",
        summary_vi="Bốn trụ bỏ rác và bốn thùng chứa rác ngầm giúp vỉa hè sạch hơn ở khu trung tâm.",
        summary_en="Four waste posts over four underground bins keep the pavements of the centre cleaner.",
        body_vi=(
            "Thành phố trang bị 4 trụ bỏ rác và 4 thùng chứa rác ngầm bên dưới tại giao lộ đường "
            "Đinh Bộ Lĩnh - đường Bạch Đằng. Rác đầy hoặc trụ hỏng, người dân có thể gửi phản ánh "
            "trên cổng hoặc gọi 1022."
        ),
        body_en=(
            "The city has installed 4 waste posts with 4 underground bins beneath them at the junction of "
            "Đinh Bộ Lĩnh and Bạch Đằng streets. If a bin is full or a post is broken, residents can send a "
            "report on the portal or call 1022."
        ),
        publish=True,
    ),
)
NOTICES = (
    PostInput(
        kind="announcement",
        slug="sap-xep-don-vi-hanh-chinh-01-7-2025",
        title_vi="Từ 01/7/2025: 14 phường của Thủ Dầu Một trở thành 5 phường của Thành phố Hồ Chí Minh",
        title_en="From 1 July 2025 the 14 wards of Thủ Dầu Một became 5 wards of Hồ Chí Minh City",
        summary_vi="Hồ sơ, phản ánh trước ngày này giữ tên phường cũ; bản đồ cho thấy cả hai thời kỳ.",
        summary_en="Records made before that day keep their old ward; the city map shows both periods.",
        body_vi=(
            "Theo Nghị quyết 1685/NQ-UBTVQH15, từ ngày 01/7/2025 tỉnh Bình Dương hợp nhất vào Thành phố "
            "Hồ Chí Minh và 14 phường của thành phố Thủ Dầu Một được sắp xếp thành 5 phường.\n\n"
            "Các hồ sơ và phản ánh nộp trước ngày này vẫn ghi tên phường tại thời điểm nộp. Xem bản đồ các "
            "phường trước và sau khi sắp xếp tại trang Bản đồ thành phố."
        ),
        body_en=(
            "Under Resolution 1685/NQ-UBTVQH15, from 1 July 2025 Bình Dương province merged into Hồ Chí Minh "
            "City and the 14 wards of Thủ Dầu Một city were reorganised into 5 wards.\n\n"
            "Dossiers and reports submitted before that day still name the ward as it was when they were "
            "submitted. The City map page shows the wards before and after the reorganisation."
        ),
        publish=True,
    ),
    PostInput(
        kind="announcement",
        slug="duong-day-nong-1022",
        title_vi="Đường dây nóng 1022 tiếp nhận phản ánh 24/7",
        title_en="Hotline 1022 takes reports 24/7",
        summary_vi="Gọi 1022 (từ di động: 0274.1022), nhắn Zalo, dùng ứng dụng hoặc gửi phản ánh trên cổng.",
        summary_en="Call 1022 (0274.1022 from a mobile), write on Zalo, use the app or report on the portal.",
        body_vi=(
            "Từ ngày 24/11/2019, đường dây nóng 1022 là đầu mối duy nhất tiếp nhận câu hỏi, khiếu nại và "
            "phản ánh khẩn của người dân, 24/7. Có thể gửi phản ánh kèm ảnh và vị trí ngay trên "
            "cổng thông tin."
        ),
        body_en=(
            "Since 24 November 2019 the 1022 hotline has been the single point that takes residents' "
            "questions, complaints and urgent reports, 24/7. Reports with a photo and a location can also be "
            "sent right on the portal."
        ),
        publish=True,
    ),
)
ABOUT = PostInput(
    kind="page",
    slug="gioi-thieu",
    title_vi="Giới thiệu cổng thông tin",
    title_en="About the portal",
    body_vi=(
        "Cổng thông tin là nơi người dân và doanh nghiệp tìm thủ tục hành chính, nộp và tra cứu hồ sơ, gửi "
        "phản ánh, xem quy hoạch và tải dữ liệu mở của thành phố.\n\n"
        "Cổng dùng được không cần JavaScript cho các việc chính, và được kiểm tra tự động theo WCAG 2.1 AA."
    ),
    body_en=(
        "The portal is where residents and businesses find administrative procedures, submit and look up "
        "dossiers, send reports, see the planning and download the city's open data.\n\n"
        "Its main tasks work without JavaScript, and it is checked automatically against WCAG 2.1 AA."
    ),
    publish=True,
)


EDITOR = "truongphong"  # accounts.demo: Lê Thị Hồng, head of the demo ward's office


def _dated(data: PostInput, day: date) -> PostInput:
    return data.model_copy(update={"published_on": day})


REPORTED_MONTHS = 6
"""The press office's monthly reports of the last months: the one-stop shop's results, the 1022 hotline's."""
PUBLISHED_ON_DAY = 3  # of the month after the one reported


def _vi(number: float, decimals: str = "") -> str:
    """1234 -> '1.234'; 95.24 -> '95,2' (with decimals='#')."""
    return format_decimal(number, format=f"#,##0.{decimals}" if decimals else "#,##0", locale="vi_VN")


def _en(number: float, decimals: str = "") -> str:
    """1234 -> '1,234'; 95.24 -> '95.2' (with decimals='#')."""
    return format_decimal(number, format=f"#,##0.{decimals}" if decimals else "#,##0", locale="en")


def _pct_vi(percent: float) -> str:
    """95.24 -> '95,2%'."""
    return f"{_vi(percent, '#')}%"


def _pct_en(percent: float) -> str:
    """95.24 -> '95.2%'."""
    return f"{_en(percent, '#')}%"


def _month_after(first: date) -> date:
    return (first + timedelta(days=32)).replace(day=1)


def reported_months(today: date, count: int = REPORTED_MONTHS) -> list[tuple[date, date]]:
    """The last `count` whole months before today's whose report is out (published on the 3rd of the month
    after): (first day, publication day), oldest first."""
    first = today.replace(day=1)
    months = []
    for _ in range(count):
        first = (first - timedelta(days=1)).replace(day=1)
        published = _month_after(first).replace(day=PUBLISHED_ON_DAY)
        if published <= today:
            months.append((first, published))
    return sorted(months)


def _report_post(slug: str, vi: list[str], en: list[str], published: date) -> PostInput:
    """A monthly report: [title, summary, paragraphs…] in each language."""
    return PostInput(
        kind="news",
        slug=slug,
        title_vi=vi[0],
        title_en=en[0],
        summary_vi=vi[1],
        summary_en=en[1],
        body_vi="\n\n".join(vi[2:]),
        body_en="\n\n".join(en[2:]),
        publish=True,
        published_on=published,
    )


def dossier_report(db: Database, *, settings: Settings, month: date, published: date) -> PostInput | None:
    """The one-stop shop's month as its statistics give them (none for a month without a dossier)."""
    last = _month_after(month) - timedelta(days=1)
    rows = dossiers.statistics(db, settings=settings, by="all", date_from=month, date_to=last)
    if not rows or not rows[0]["received"]:
        return None
    row = rows[0]
    when_vi, when_en = f"{month.month}/{month.year}", month.strftime("%B %Y")
    received, online, online_share = row["received"], row["online"], 100 * (row["online_share"] or 0.0)
    early, on_time, late = row["early"], row["on_time"], row["late"]
    finished, in_hand = early + on_time + late, row["open_within"] + row["open_overdue"]
    title_vi = f"Kết quả giải quyết thủ tục hành chính tháng {when_vi}: {_vi(received)} hồ sơ tiếp nhận"
    title_en = f"Administrative procedures in {when_en}: {_en(received)} applications received"
    summary_vi = f"{_pct_vi(online_share)} hồ sơ nộp trực tuyến."
    summary_en = f"{_pct_en(online_share)} filed online."
    vi = [
        f"Trong tháng {when_vi}, bộ phận tiếp nhận và trả kết quả của thành phố và các phường đã tiếp nhận "
        f"{_vi(received)} hồ sơ thủ tục hành chính, trong đó {_vi(online)} hồ sơ ({_pct_vi(online_share)}) "
        "được nộp trực tuyến trên cổng dịch vụ công."
    ]
    en = [
        f"In {when_en} the one-stop offices of the city and its wards received {_en(received)} "
        f"applications, {_en(online)} of them ({_pct_en(online_share)}) filed online on the portal."
    ]
    if finished:
        share_vi, share_en = _pct_vi(100 * row["on_time_share"]), _pct_en(100 * row["on_time_share"])
        title_vi += f", {share_vi} giải quyết đúng hạn"
        title_en += f", {share_en} settled on time"
        summary_vi = f"{_vi(finished)} hồ sơ đã có kết quả, {share_vi} trước hoặc đúng hạn; {summary_vi}"
        summary_en = f"{_en(finished)} settled, {share_en} early or on time; {summary_en}"
        vi.append(
            f"Trong số hồ sơ tiếp nhận trong tháng, {_vi(finished)} hồ sơ đã có kết quả: {_vi(early)} trước "
            f"hạn, {_vi(on_time)} đúng hạn và {_vi(late)} quá hạn; tỷ lệ giải quyết trước và đúng hạn đạt "
            f"{share_vi}."
        )
        en.append(
            f"Of the applications received that month, {_en(finished)} are settled: {_en(early)} early, "
            f"{_en(on_time)} on time and {_en(late)} late; {share_en} were settled early or on time."
        )
    if in_hand:
        vi[-1] += f" {_vi(in_hand)} hồ sơ đang được giải quyết."
        en[-1] += f" {_en(in_hand)} are still being handled."
    if row["rated"]:
        satisfied = 100 * row["satisfied_share"]
        vi.append(
            f"Có {_vi(row['rated'])} lượt đánh giá sự phục vụ của cán bộ, {_pct_vi(satisfied)} "
            "hài lòng trở lên."
        )
        en.append(
            f"Applicants rated the service {_en(row['rated'])} times, "
            f"{_pct_en(satisfied)} satisfied or better."
        )
    vi.append("Người dân tra cứu tình trạng hồ sơ bằng mã hồ sơ tại mục Tra cứu hồ sơ trên cổng.")
    en.append("Follow an application with its code under Track an application on the portal.")
    slug = f"ket-qua-giai-quyet-thu-tuc-thang-{month.month}-{month.year}"
    return _report_post(slug, [title_vi, summary_vi, *vi], [title_en, summary_en, *en], published)


HOTLINE_INDICATORS = (
    "feedback.reports",
    "feedback.share_within_deadline",
    "feedback.mean_days_to_resolve",
    "feedback.share_satisfied",
)


def city_figures(
    db: Database, *, settings: Settings, codes: tuple[str, ...], month: date
) -> dict[str, KpiValue]:
    """The city's value of these indicators over the month, as the domain offering them computes it (the
    contract the operations centre reads, `smartcity.core.kpis`)."""
    zone = clock.city_zone(settings)
    start = datetime.combine(month, time.min, zone).astimezone(UTC)
    end = datetime.combine(_month_after(month), time.min, zone).astimezone(UTC)
    context = KpiContext(settings=settings, start=start, end=end, on=_month_after(month) - timedelta(days=1))
    figures = {}
    for _domain, indicators in collect("kpis", "INDICATORS"):
        for indicator in indicators:
            if indicator.code in codes:
                city = [value for value in indicator.compute(db, context) if value.ward is None]
                figures[indicator.code] = city[0] if city else KpiValue(None)
    return figures


def hotline_report(db: Database, *, settings: Settings, month: date, published: date) -> PostInput | None:
    """The 1022 hotline's month as the feedback domain's indicators give it (none for a month without a
    report)."""
    figures = city_figures(db, settings=settings, codes=HOTLINE_INDICATORS, month=month)
    total = int(figures["feedback.reports"].value or 0)
    if not total:
        return None
    when_vi, when_en = f"{month.month}/{month.year}", month.strftime("%B %Y")
    title_vi = f"Đường dây nóng 1022 tháng {when_vi}: {_vi(total)} phản ánh"
    title_en = f"Hotline 1022 in {when_en}: {_en(total)} reports"
    summary_vi = f"Người dân gửi {_vi(total)} phản ánh qua tổng đài, cổng thông tin, ứng dụng và Zalo."
    summary_en = f"Residents sent {_en(total)} reports by phone, on the portal, in the app and on Zalo."
    vi = [
        f"Trong tháng {when_vi}, hệ thống tiếp nhận phản ánh 1022 của thành phố nhận {_vi(total)} phản ánh "
        "của người dân về hạ tầng, vệ sinh môi trường, trật tự đô thị và các lĩnh vực khác."
    ]
    en = [
        f"In {when_en} the city's 1022 system received {_en(total)} reports from residents on roads, "
        "cleanliness, public order and other matters."
    ]
    on_time = figures["feedback.share_within_deadline"]
    if on_time.value is not None and on_time.numerator is not None and on_time.denominator:
        share, resolved, within = on_time.value, int(on_time.denominator), int(on_time.numerator)
        title_vi += f", {_pct_vi(share)} xử lý đúng hạn"
        title_en += f", {_pct_en(share)} resolved on time"
        summary_vi = f"{summary_vi[:-1]}; {_pct_vi(share)} phản ánh đã xử lý được giải quyết đúng hạn."
        summary_en = f"{summary_en[:-1]}; {_pct_en(share)} of those resolved were resolved on time."
        vi.append(
            f"Đã xử lý xong {_vi(resolved)} phản ánh, trong đó {_vi(within)} phản ánh ({_pct_vi(share)}) "
            "được giải quyết trong thời hạn."
        )
        en.append(
            f"{_en(resolved)} reports have been resolved, {_en(within)} of them ({_pct_en(share)}) within "
            "their deadline."
        )
        if (days := figures["feedback.mean_days_to_resolve"].value) is not None:
            vi[-1] += f" Thời gian xử lý trung bình là {_vi(days, '#')} ngày."
            en[-1] += f" On average a report took {_en(days, '#')} days to resolve."
    satisfied = figures["feedback.share_satisfied"]
    if satisfied.value is not None and satisfied.denominator:
        rated, share = int(satisfied.denominator), satisfied.value
        vi.append(f"{_vi(rated)} người phản ánh đã đánh giá kết quả xử lý, {_pct_vi(share)} hài lòng.")
        en.append(f"{_en(rated)} reporters rated the outcome, {_pct_en(share)} of them satisfied.")
    vi.append("Gọi 1022 (từ di động: 0274.1022) hoặc gửi phản ánh kèm ảnh và vị trí trên cổng, 24/7.")
    en.append("Call 1022 (from a mobile: 0274.1022) or send a report with a photo and a place on the portal.")
    slug = f"duong-day-nong-1022-thang-{month.month}-{month.year}"
    return _report_post(slug, [title_vi, summary_vi, *vi], [title_en, summary_en, *en], published)


def monthly_reports(db: Database, *, settings: Settings, today: date) -> list[PostInput]:
    """The press office's reports of the last months, their figures read from the domains' statistics."""
    posts = []
    for month, published in reported_months(today):
        for report in (dossier_report, hotline_report):
            post = report(db, settings=settings, month=month, published=published)
            if post is not None:
                posts.append(post)
    return posts


def load_demo(db: Database, *, settings: Settings, actor: Actor) -> str:
    """The posts, once (a slug already there is left as it is); the monthly reports of the months whose
    dossiers and reports are there (the portal's demo loads after theirs)."""
    today = clock.today(settings)
    wanted = [
        _dated(SMART_CITY_ARTICLE, min(date(2022, 2, 27), today)),
        _dated(MORE_NEWS[0], min(date(2022, 6, 15), today)),
        _dated(MORE_NEWS[1], min(date(2022, 9, 5), today)),
        _dated(NOTICES[0], min(city_service.reorganisation_date(), today)),
        _dated(NOTICES[1], today - timedelta(days=3)),
        _dated(ABOUT, today - timedelta(days=30)),
    ]
    with db.session() as s:
        existing = set(s.scalars(select(Post.slug)))
    wanted += monthly_reports(db, settings=settings, today=today)
    editor = accounts.get_user_by_username(db, EDITOR)  # the demo head of unit writes, so a person is named
    if editor is not None:
        actor = accounts.actor_for_user(db, editor.id)
    created = 0
    for data in wanted:
        if data.slug not in existing:
            create_post(db, actor=actor, settings=settings, data=data)
            created += 1
    return f"{created} posts"
