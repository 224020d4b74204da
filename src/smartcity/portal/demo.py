"""Demo data of the portal: news and announcements drawn from the city's own story, all dated in the past."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import select

from smartcity.accounts import service as accounts
from smartcity.city import service as city_service
from smartcity.core import clock
from smartcity.core.config import Settings
from smartcity.core.db import Database
from smartcity.core.security import Actor
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
        "In August 2020 the city adopted Programme 04-CTr/TU to develop Thủ Dầu Một as a smart city for "
        "2020-2025 and beyond. The portal was upgraded to publish every administrative procedure; 43 "
        "procedures are offered online at level 3 and 157 at level 4 of the 278 in the city's remit."
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
        publish=True,
    ),
    PostInput(
        kind="news",
        slug="thung-rac-ngam-dinh-bo-linh-bach-dang",
        title_vi="Trụ bỏ rác và thùng chứa rác ngầm tại giao lộ Đinh Bộ Lĩnh - Bạch Đằng",
        title_en="Underground waste bins at the Đinh Bộ Lĩnh - Bạch Đằng junction",
        summary_vi="Bốn trụ bỏ rác và bốn thùng chứa rác ngầm giúp vỉa hè sạch hơn ở khu trung tâm.",
        body_vi=(
            "Thành phố trang bị 4 trụ bỏ rác và 4 thùng chứa rác ngầm bên dưới tại giao lộ đường "
            "Đinh Bộ Lĩnh - đường Bạch Đằng. Rác đầy hoặc trụ hỏng, người dân có thể gửi phản ánh "
            "trên cổng hoặc gọi 1022."
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
        publish=True,
    ),
    PostInput(
        kind="announcement",
        slug="duong-day-nong-1022",
        title_vi="Đường dây nóng 1022 tiếp nhận phản ánh 24/7",
        title_en="Hotline 1022 takes reports 24/7",
        summary_vi="Gọi 1022 (từ di động: 0274.1022), nhắn Zalo, dùng ứng dụng hoặc gửi phản ánh trên cổng.",
        body_vi=(
            "Từ ngày 24/11/2019, đường dây nóng 1022 là đầu mối duy nhất tiếp nhận câu hỏi, khiếu nại và "
            "phản ánh khẩn của người dân, 24/7. Có thể gửi phản ánh kèm ảnh và vị trí ngay trên "
            "cổng thông tin."
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
    publish=True,
)


EDITOR = "truongphong"  # accounts.demo: Lê Thị Hồng, head of the demo ward's office


def _dated(data: PostInput, day: date) -> PostInput:
    return data.model_copy(update={"published_on": day})


def load_demo(db: Database, *, settings: Settings, actor: Actor) -> str:
    """The posts, once (a slug already there is left as it is)."""
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
    editor = accounts.get_user_by_username(db, EDITOR)  # the demo head of unit writes, so a person is named
    if editor is not None:
        actor = accounts.actor_for_user(db, editor.id)
    created = 0
    for data in wanted:
        if data.slug not in existing:
            create_post(db, actor=actor, settings=settings, data=data)
            created += 1
    return f"{created} posts"
