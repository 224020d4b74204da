"""No request does database work on the event loop: an `async def` route or middleware that reads or writes
the database there stalls every other request while it waits (for a connection, a lock, the disk). Under a
burst of browsers this stalled the whole server (bench/burst.py).

Every `async def` route of the application is asked here at least once, by the caller it is meant for (a
signed-in citizen, a camera's API key, a school's staff…), with a request that reaches its database work
(the expected status is checked, and that the answer came from that route); some also with a refused
request, whose page is built on another path. SQLAlchemy listeners keep the stack of any connection checked
out, and of any statement run, while an event loop runs in the thread. A route that reads no table (an
endless event stream) is listed in NO_DATABASE with the reason; a new async route that is in neither fails
`test_every_async_route_is_asked_or_reads_no_database`. Routes still known to work on the loop are listed in
ON_THE_LOOP (with where), and must still be caught there until they are fixed and taken off the list.
"""

from __future__ import annotations

import asyncio
import inspect
import json
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
from fastapi.routing import iter_route_contexts
from fastapi.testclient import TestClient
from sqlalchemy import event, select

from smartcity.accounts import service as accounts
from smartcity.city.service import load_city_pack
from smartcity.core.security import Actor
from tests.education.conftest import demo, postgres_demo, sqlite_demo  # noqa: F401 (the education scenario)

SYSTEM = Actor.system("test")
PASSWORD = "correct horse battery"

# Async routes that read no table themselves (their caller is resolved in a worker thread): why.
NO_DATABASE = {
    "ioc.api.stream": "an endless event stream fed by the in-process hub",
    "ioc.views.stream": "an endless event stream fed by the in-process hub",
}
# Async routes known to still do database work on the event loop, with where (to fix: run it with
# `await run_in_threadpool(...)`). Each is asked like the others, and must still be caught: once one no longer
# works on the loop the test fails until it is taken off this list.
ON_THE_LOOP: dict[str, str] = {}  # none left (the last 28 were fixed on 2026-12-07)


@pytest.fixture
def on_the_loop(db):  # type: ignore[no-untyped-def]
    """The stacks of every database connection taken, and of every statement run, while an event loop runs
    in the thread. Statements too: a request's reads share one connection (`Database.shared_reads`), so a
    read on the loop after one in a worker thread takes no connection from the pool, yet waits all the same.
    """
    taken: list[str] = []

    def on_loop(*_args: object, **_kwargs: object) -> None:
        try:
            asyncio.get_running_loop()
        except RuntimeError:
            return  # a worker thread: where database work belongs
        ours = [f for f in traceback.extract_stack()[:-1] if "/smartcity/" in f.filename]
        outer = [i for i, f in enumerate(ours) if f.filename.endswith(("middleware.py", "ratelimit.py"))]
        taken.append("".join(traceback.format_list(ours[outer[-1] if outer else 0 :])))  # from the innermost

    pool = db.engine.pool  # a disposed engine's next pool keeps its listeners
    event.listen(pool, "checkout", on_loop)
    event.listen(db.engine, "before_cursor_execute", on_loop)
    yield taken
    event.remove(db.engine, "before_cursor_execute", on_loop)
    event.remove(pool, "checkout", on_loop)


def route_name(endpoint: Callable[..., Any]) -> str:
    """'dossiers.views.submit' for smartcity.dossiers.views.submit."""
    return f"{endpoint.__module__.removeprefix('smartcity.')}.{endpoint.__qualname__}"


def async_routes(app: Any) -> set[str]:
    """The names of the platform's `async def` routes (FastAPI's own documentation pages left out)."""
    return {
        route_name(context.endpoint)
        for context in iter_route_contexts(app.routes)
        if inspect.iscoroutinefunction(context.endpoint)
        and context.endpoint.__module__.startswith("smartcity.")
    }


@dataclass
class World:
    """The application on the test database, with browsers and callers for the scenarios' requests."""

    app: Any
    db: Any
    settings: Any
    taken: list[str]
    fixture: Callable[[str], Any]  # another fixture of the test, by name (the domains' data)
    users: set[str] = field(default_factory=set)  # those given the test password
    served: list[str] = field(default_factory=list)  # the route that answered the last request
    asked: dict[str, list[str]] = field(default_factory=dict)  # route: stacks of connections on the loop

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        """The application, noting which route answered (the router puts it in the scope)."""
        await self.app(scope, receive, send)
        if scope["type"] == "http" and scope.get("endpoint") is not None:
            self.served.append(route_name(scope["endpoint"]))

    def browser(self) -> TestClient:
        """An anonymous browser (its own cookies)."""
        return TestClient(self, follow_redirects=False)

    def user(self, username: str, *roles: tuple[str, str | None]) -> None:
        """Create the user (or give an existing one the test password, once: that ends their sessions)."""
        if username in self.users:
            return
        found = accounts.get_user_by_username(self.db, username)
        if found is None:
            accounts.create_user(
                self.db, actor=SYSTEM, username=username, password=PASSWORD, roles=list(roles)
            )
        else:
            accounts.set_password(self.db, actor=SYSTEM, user_id=found.id, password=PASSWORD)
        self.users.add(username)

    def signed_in(self, username: str, *roles: tuple[str, str | None]) -> tuple[TestClient, str]:
        """A browser signed in as the user (created with the roles when missing) and its CSRF token."""
        self.user(username, *roles)
        browser = self.browser()
        page = browser.get("/login")
        token = page.text.split('name="csrf_token" value="')[1].split('"')[0]
        form = {"username": username, "password": PASSWORD, "csrf_token": token, "next": "/tra-cuu"}
        assert browser.post("/login", data=form).status_code == 303
        csrf = browser.get("/api/v1/auth/me").json()["csrf_token"]
        assert csrf
        return browser, csrf

    def bearer(self, username: str, *roles: tuple[str, str | None]) -> dict[str, str]:
        """Authorization headers of the user (created with the roles when missing)."""
        self.user(username, *roles)
        token = accounts.login_for_token(
            self.db, settings=self.settings, username=username, password=PASSWORD, client_ip="10.5.5.5"
        ).access_token
        return {"Authorization": f"Bearer {token}"}

    def ask(
        self,
        client: TestClient,
        route: str,
        method: str,
        path: str,
        status: int,
        case: str = "",
        **kwargs: Any,
    ) -> Any:
        """Send the request; it must be answered by `route` with `status`. Notes the connections taken on
        the loop meanwhile, under the route's name (and the `case`, such as "refused", when given)."""
        self.taken.clear()
        self.served.clear()
        answer = client.request(method, path, **kwargs)
        assert answer.status_code == status, (route, answer.status_code, answer.text[:600])
        assert self.served == [route], (path, self.served)
        self.asked.setdefault(f"{route} [{case}]" if case else route, []).extend(self.taken)
        return answer


Scenario = Callable[[World], None]
SCENARIOS: dict[str, tuple[Scenario, frozenset[str]]] = {}


def scenario(*routes: str) -> Callable[[Scenario], Scenario]:
    """Register a scenario that asks exactly these routes."""

    def register(function: Scenario) -> Scenario:
        SCENARIOS[function.__name__] = (function, frozenset(routes))
        return function

    return register


# ---------------------------------------------------------------- city, open data, accounts


@scenario(
    "city.api.list_units",
    "opendata.ckan.action_v3",
    "opendata.ckan.action_default",
    "accounts.views.login_submit",
    "accounts.api.me",
)
def city_open_data_and_sign_in(world: World) -> None:
    load_city_pack(world.db, actor=SYSTEM)
    anonymous = world.browser()
    world.ask(anonymous, "city.api.list_units", "GET", "/api/v1/city/units", 200)
    world.ask(anonymous, "opendata.ckan.action_v3", "GET", "/ckan/api/3/action/package_list", 200)
    world.ask(
        anonymous, "opendata.ckan.action_default", "POST", "/ckan/api/action/package_list", 200, json={}
    )
    world.user("dan", ("citizen", None))
    token = anonymous.get("/login").text.split('name="csrf_token" value="')[1].split('"')[0]
    form = {"username": "dan", "password": PASSWORD, "csrf_token": token}  # no `next`: home by the roles
    world.ask(anonymous, "accounts.views.login_submit", "POST", "/login", 303, data=form)
    world.ask(anonymous, "accounts.api.me", "GET", "/api/v1/auth/me", 200)


# ---------------------------------------------------------------- one-stop shop (dossiers)

HOUSE_FORM = {
    "applicant_name": "Nguyễn Văn An",
    "applicant_id": "074090001234",
    "applicant_phone": "0912345678",
    "f_owner_name": "Nguyễn Văn An",
    "f_street": "Đường Bạch Đằng",
    "f_ward_code": "25747",
    "f_map_sheet": "12",
    "f_parcel_number": "345",
    "f_purpose": "new",
}


@scenario(
    "dossiers.views.submit",
    "dossiers.views.lookup",
    "dossiers.views.dossier_action",
    "dossiers.views.sandbox_decide",
    "dossiers.views.rate",
    "dossiers.api.create",
    "dossiers.api.attach",
)
def dossiers(world: World) -> None:
    from urllib.parse import parse_qsl, urlsplit

    from smartcity.dossiers import payments
    from smartcity.dossiers import service as dossier_service
    from smartcity.procedures import service as procedures
    from smartcity.procedures.catalogue import build_catalogue
    from tests.dossiers.dossier_fixtures import ORG_CHART, PDF, PNG, house_form

    units = json.loads(ORG_CHART.read_text(encoding="utf-8"))["org_units"]
    accounts.upsert_org_units(world.db, actor=SYSTEM, units=units)
    procedures.upsert_procedures(world.db, actor=SYSTEM, records=build_catalogue()[:6])
    ward = ("UBND-25747", "UBND-25747-HCM")  # the ward of the form, before and after 2025-07-01
    staff = {role: [(role, unit) for unit in ward] for role in ("clerk", "head", "specialist", "leader")}
    files = {
        "file_don_de_nghi": ("don.pdf", PDF, "application/pdf"),
        "file_gcn_qsdd": ("so.png", PNG, "image/png"),
    }
    citizen, csrf = world.signed_in("citizen1", ("citizen", None))
    submitted = world.ask(
        citizen,
        "dossiers.views.submit",
        "POST",
        "/ho-so/nop/TDM-QLDT-001",
        303,
        data={**HOUSE_FORM, "csrf_token": csrf},
        files=files,
    )
    code = submitted.headers["location"].rsplit("/", 1)[1]
    found = {"code": code, "second_factor": "074090001234"}
    world.ask(world.browser(), "dossiers.views.lookup", "POST", "/tra-cuu", 200, data=found)

    by_api = {
        "procedure_code": "TDM-QLDT-001",
        "form": house_form(),
        "applicant": {"name": "Nguyễn Văn An", "id_number": "074090001234", "phone": "0912345678"},
    }
    headers = world.bearer("citizen1")
    created = world.ask(
        world.browser(),
        "dossiers.api.create",
        "POST",
        "/api/v1/dossiers",
        201,
        data={"data": json.dumps(by_api, ensure_ascii=False)},
        files=files,
        headers=headers,
    )
    world.ask(
        world.browser(),
        "dossiers.api.attach",
        "POST",
        f"/api/v1/dossiers/{created.json()['code']}/attachments",
        201,
        files={"file_gcn_qsdd": ("so-2.png", PNG, "image/png")},
        headers=headers,
    )

    people = {role: f"ward-{role}" for role in staff}
    for role, username in people.items():
        world.user(username, *staff[role])
    actor = {role: accounts.actor_for_user(world.db, _user_id(world, name)) for role, name in people.items()}
    for role, action in (("clerk", "receive"), ("head", "assign")):
        dossier_service.act(world.db, actor=actor[role], settings=world.settings, code=code, action=action)
    specialist, specialist_csrf = world.signed_in(people["specialist"])
    world.ask(  # the result's e-form is read for this action
        specialist,
        "dossiers.views.dossier_action",
        "POST",
        f"/ho-so/{code}/hanh-dong/process",
        303,
        data={"r_house_number": "7", "csrf_token": specialist_csrf},
    )
    for role, action in (("head", "review"), ("leader", "decide")):
        dossier_service.act(world.db, actor=actor[role], settings=world.settings, code=code, action=action)
    citizen_actor = accounts.actor_for_user(world.db, _user_id(world, "citizen1"))
    url = payments.start_payment(
        world.db, actor=citizen_actor, settings=world.settings, code=code, return_url="/ho-so"
    )
    decision = {**dict(parse_qsl(urlsplit(url).query)), "decision": "approve"}
    world.ask(citizen, "dossiers.views.sandbox_decide", "POST", "/thanh-toan/sandbox", 303, data=decision)
    rating = {"overall": "3", "ind_conduct": "3", "csrf_token": csrf}
    world.ask(citizen, "dossiers.views.rate", "POST", f"/ho-so/{code}/danh-gia", 303, data=rating)


def _user_id(world: World, username: str) -> int:
    found = accounts.get_user_by_username(world.db, username)
    assert found is not None
    return int(found.id)


# ---------------------------------------------------------------- cameras


@scenario("cameras.api.post_event")
def camera_events(world: World) -> None:
    import io
    from datetime import UTC, datetime

    from PIL import Image

    from smartcity.cameras import service as cameras
    from smartcity.cameras.schemas import CameraCreate

    cameras.create_camera(
        world.db,
        actor=SYSTEM,
        data=CameraCreate(id="CAM-1", name="Ngã Sáu", kind="traffic", lanes=2, lon=106.658, lat=10.977),
    )
    key = accounts.create_api_key(world.db, actor=SYSTEM, name="CAM-1 analytics").key
    box = world.browser()
    report = {"kind": "accident", "occurred_at": datetime.now(UTC).isoformat(), "lane": 2, "confidence": 0.9}
    headers = {"X-API-Key": key}
    path = "/api/v1/cameras/CAM-1/events"
    world.ask(
        box, "cameras.api.post_event", "POST", path, 201, json={**report, "event_id": "A-1"}, headers=headers
    )
    snapshot = io.BytesIO()
    Image.new("RGB", (8, 8), (200, 0, 0)).save(snapshot, format="PNG")
    fields = {k: str(v) for k, v in {**report, "event_id": "A-2"}.items()}
    world.ask(
        box,
        "cameras.api.post_event",
        "POST",
        path,
        201,
        data=fields,
        files={"snapshot": ("s.png", snapshot.getvalue(), "image/png")},
        headers=headers,
    )


# ---------------------------------------------------------------- documents


@scenario(
    "documents.agency_views.add_agency",
    "documents.agency_views.update_agency",
    "documents.views.create_document",
    "documents.views.update_document",
    "documents.views.add_attachment",
    "documents.views.remove_attachment",
    "documents.views.document_action",
    "documents.api.add_attachment",
    "documents.incoming_views.assign_incoming",
)
def documents(world: World) -> None:
    from datetime import date

    from smartcity.documents import attachments
    from smartcity.documents.models import IncomingDocument
    from smartcity.documents.storage import keep_pdf
    from tests.documents.conftest import WARD, annex_pdf, setup_office

    setup_office(world.db, world.settings, with_pki=False)
    admin, csrf = world.signed_in("quantri", ("admin", None))
    agency = {"code": "UBND-25750-HCM", "name": "UBND phường Phú Lợi", "endpoint": "https://phuloi.test/"}
    base = "/can-bo/van-ban/co-quan"
    world.ask(
        admin, "documents.agency_views.add_agency", "POST", base, 303, data={**agency, "csrf_token": csrf}
    )
    twice = {**agency, "csrf_token": csrf}  # the same code again: the page comes back with the reason
    world.ask(admin, "documents.agency_views.add_agency", "POST", base, 409, case="refused", data=twice)
    changed = {
        "name": "UBND phường Phú Lợi (mới)",
        "endpoint": "https://vanban.phuloi.test",
        "csrf_token": csrf,
    }
    world.ask(
        admin, "documents.agency_views.update_agency", "POST", f"{base}/{agency['code']}", 303, data=changed
    )

    author, csrf = world.signed_in("chuyenvien")
    draft = {
        "type_code": "QĐ",
        "office_code": WARD,
        "subject": "Về việc ban hành Kế hoạch chỉnh trang đô thị năm 2026",
        "body": "Điều 1. Ban hành Kế hoạch chỉnh trang đô thị.",
        "recipients": "Như Điều 3",
        "retention": "10 năm",
        "file_code": "HS-2026-01",
        "signer_username": "lanhdao",
        "csrf_token": csrf,
    }
    created = world.ask(
        author, "documents.views.create_document", "POST", "/can-bo/van-ban/moi", 303, data=draft
    )
    doc = int(created.headers["location"].split("/")[3].split("?")[0])
    page = f"/can-bo/van-ban/{doc}"
    draft["subject"] += " (sửa)"
    world.ask(author, "documents.views.update_document", "POST", f"{page}/sua", 303, data=draft)
    unsigned = {**draft, "signer_username": ""}  # no signer chosen: the form comes back with the reason
    path = "/can-bo/van-ban/moi"
    world.ask(author, "documents.views.create_document", "POST", path, 422, case="refused", data=unsigned)
    world.ask(
        author, "documents.views.update_document", "POST", f"{page}/sua", 422, case="refused", data=unsigned
    )
    annex = {"file": ("Phụ lục I.pdf", annex_pdf(), "application/pdf")}
    world.ask(
        author,
        "documents.views.add_attachment",
        "POST",
        f"{page}/phu-luc",
        303,
        data={"csrf_token": csrf},
        files=annex,
    )
    [added] = attachments.list_for(world.db, actor=SYSTEM, document_id=doc)
    world.ask(
        author,
        "documents.views.remove_attachment",
        "POST",
        f"{page}/phu-luc/{added.id}/xoa",
        303,
        data={"csrf_token": csrf},
    )
    world.ask(
        world.browser(),
        "documents.api.add_attachment",
        "POST",
        f"/api/v1/documents/{doc}/attachments?filename=phu-luc.pdf",
        201,
        content=annex_pdf(),
        headers={**world.bearer("chuyenvien"), "Content-Type": "application/pdf"},
    )
    world.ask(
        author, "documents.views.document_action", "POST", f"{page}/submit", 303, data={"csrf_token": csrf}
    )

    with world.db.write_session() as s:  # a document received from another agency
        received = IncomingDocument(
            envelope_id="envelope-1",
            office_code=WARD,
            sender_code=agency["code"],
            sender_name=agency["name"],
            number_symbol="01/QĐ-UBND",
            document_date=date(2026, 1, 5),
            type_code="QĐ",
            subject="Về việc phối hợp chỉnh trang đô thị",
            year=2026,
            number=1,
            pdf_sha256=keep_pdf(world.db, annex_pdf("QUYẾT ĐỊNH", 1)),
            envelope_sha256="0" * 64,
            receipt_sha256="0" * 64,
        )
        s.add(received)
        s.flush()
        incoming = received.id
    clerk, csrf = world.signed_in("vanthu")
    world.ask(
        clerk,
        "documents.incoming_views.assign_incoming",
        "POST",
        f"/can-bo/van-ban/den/{incoming}/assign",
        200,
        data={"handling_unit": "Văn phòng HĐND và UBND", "csrf_token": csrf},
    )


# ---------------------------------------------------------------- education


@scenario(
    "education.api.import_students",
    "education.api.import_assets",
    "education.asset_views.count",
    "education.views.attendance",
    "education.views.import_file",
)
def education(world: World) -> None:
    from smartcity.core import clock, sheets
    from smartcity.education import service as schools
    from smartcity.education.service.imports import STUDENT_HEADERS, asset_template, student_template

    world.fixture("demo")  # the city pack and the schools of the demo
    school, xlsx = "TH-PHUHOA1", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    headers = world.bearer("ketoan.phuhoa1")  # a demo account of the school's staff
    api = f"/api/v1/education/schools/{school}"
    for route, what, content in (
        ("education.api.import_students", "students", student_template()),
        ("education.api.import_assets", "assets", asset_template()),
    ):
        file = {"file": (f"{what}.xlsx", content, xlsx)}
        imported = world.ask(
            world.browser(), route, "POST", f"{api}/{what}/import", 200, files=file, headers=headers
        )
        assert imported.json() == {"imported": 1}

    staff, csrf = world.signed_in("ketoan.phuhoa1")
    born = f"02/03/{clock.today(world.settings).year - 7}"
    students = sheets.xlsx([STUDENT_HEADERS, ("Lê Văn Tài", born, "Nam", "074220088001", "1A1")], title="DS")
    world.ask(
        staff,
        "education.views.import_file",
        "POST",
        f"/can-bo/giao-duc/truong/{school}/nhap",
        200,
        data={"loai": "hoc-sinh", "csrf_token": csrf},
        files={"file": ("ds.xlsx", students, xlsx)},
    )

    today = clock.today(world.settings)
    take = {"year": today.year, "counted_on": today.isoformat(), "committee": "Hội đồng kiểm kê"}
    opened = world.browser().post(f"{api}/stocktakes", json=take, headers=headers)
    assert opened.status_code == 201, opened.text
    counts: dict[str, str] = {"csrf_token": csrf}
    for line in opened.json()["lines"]:
        counts[f"qty_{line['asset_id']}"] = str(line["book_quantity"])
        counts[f"cond_{line['asset_id']}"] = line["counted_condition"]
    path = f"/can-bo/giao-duc/kiem-ke/{opened.json()['id']}"
    world.ask(staff, "education.asset_views.count", "POST", path, 303, data=counts)

    classes = schools.list_classes(world.db, actor=SYSTEM, school_code=school)
    class_id = next(c["id"] for c in classes if c["name"] == "3A2")
    pupils = schools.class_students(world.db, actor=SYSTEM, settings=world.settings, class_id=class_id)
    sheet = {"csrf_token": csrf, "day": today.isoformat(), f"status_{pupils[0]['id']}": "unexcused"}
    path = f"/can-bo/giao-duc/lop/{class_id}/diem-danh"
    world.ask(staff, "education.views.attendance", "POST", path, 303, data=sheet)


# ---------------------------------------------------------------- feedback (1022)


@scenario(
    "feedback.views.submit_report",
    "feedback.views.reporter_action",
    "feedback.views.console_submit",
    "feedback.views.staff_action",
    "feedback.api.add_photo",
    "feedback.open311.create_request",
)
def feedback(world: World) -> None:
    import re

    from smartcity.city.loader import load_city_pack as load_pack
    from smartcity.feedback import service as reports
    from tests.feedback.conftest import OPERATOR, PHU_CUONG, jpeg_with_gps

    load_pack(world.db, pack="thu-dau-mot", actor=SYSTEM)  # wards, units and the categories
    place = {"lat": str(PHU_CUONG[1]), "lon": str(PHU_CUONG[0])}
    form = {
        "category_code": "moi-truong",
        "description": "Rác chất đống trước chợ",
        "is_public": "on",
        **place,
    }
    photo = ("p.jpg", jpeg_with_gps(), "image/jpeg")
    citizen = world.browser()
    done = world.ask(
        citizen,
        "feedback.views.submit_report",
        "POST",
        "/phan-anh/gui",
        201,
        data=form,
        files={"photos": photo},
    )
    outside = {**form, "lat": "10.80", "lon": "106.80"}  # outside the city: the form comes back
    world.ask(
        citizen, "feedback.views.submit_report", "POST", "/phan-anh/gui", 422, case="refused", data=outside
    )
    code = re.search(r'id="report-code">([^<]+)<', done.text).group(1)  # type: ignore[union-attr]
    key = re.search(r'id="reporter-key">([^<]+)<', done.text).group(1)  # type: ignore[union-attr]
    world.ask(
        citizen,
        "feedback.views.reporter_action",
        "POST",
        f"/phan-anh/{code}/photos",
        200,
        data={"reporter_key": key},
        files={"photos": photo},
    )
    world.ask(
        citizen,
        "feedback.api.add_photo",
        "POST",
        f"/api/v1/feedback/reports/{code}/photos",
        201,
        data={"reporter_key": key},
        files={"file": photo},
    )
    georeport = {
        "api_key": accounts.create_api_key(world.db, actor=SYSTEM, name="georeport client").key,
        "service_code": "ha-tang",
        "lat": place["lat"],
        "long": place["lon"],
        "description": "Ổ gà trước số 12",
    }
    world.ask(
        world.browser(),
        "feedback.open311.create_request",
        "POST",
        "/open311/v2/requests.json",
        200,
        data=georeport,
    )

    operator, csrf = world.signed_in("tongdai", ("operator", None))
    call = {**form, "reporter_phone": "0903 111 222", "channel": "hotline", "csrf_token": csrf}
    world.ask(operator, "feedback.views.console_submit", "POST", "/can-bo/phan-anh/tong-dai", 303, data=call)
    unit = reports.get_report(world.db, actor=OPERATOR, code=code).unit_code
    staff, csrf = world.signed_in("canbo", ("specialist", unit))
    accept = {"back": "/can-bo/phan-anh", "csrf_token": csrf}
    path = f"/can-bo/phan-anh/r/{code}/accept"
    world.ask(staff, "feedback.views.staff_action", "POST", path, 303, data=accept)
    world.ask(staff, "feedback.views.staff_action", "POST", path, 409, case="refused", data=accept)  # again


# ---------------------------------------------------------------- maps (GIS)


@scenario("gis.api.import_file", "gis.views.save_correction")
def maps(world: World) -> None:
    from smartcity.gis import service as gis
    from smartcity.gis.views import EDITOR_PATH

    load_city_pack(world.db, actor=SYSTEM)
    gis.ensure_builtin_layers(world.db, actor=SYSTEM)
    gis.load_demo_layers(world.db, actor=SYSTEM, parcels=20)
    zone = {
        "zone_code": "EV-1",
        "land_use_code": "ODT",
        "land_use_name": "Đất ở tại đô thị",
        "max_floors": 5,
        "max_coverage_pct": 80,
        "plan_name": "QHPK 1/2000",
        "approval": "QĐ 1/QĐ-UBND",
    }
    square = [
        [
            [106.6537, 10.9804],
            [106.6547, 10.9804],
            [106.6547, 10.9814],
            [106.6537, 10.9814],
            [106.6537, 10.9804],
        ]
    ]
    layer = {
        "type": "FeatureCollection",
        "features": [
            {"type": "Feature", "properties": zone, "geometry": {"type": "Polygon", "coordinates": square}}
        ],
    }
    file = {"file": ("z.geojson", json.dumps(layer).encode(), "application/geo+json")}
    headers = world.bearer("chuyenvien", ("specialist", None))
    path = "/api/v1/gis/layers/planning-zones/import"
    report = world.ask(world.browser(), "gis.api.import_file", "POST", path, 200, files=file, headers=headers)
    assert report.json()["imported"] == 1

    editor, csrf = world.signed_in("chuyenvien")
    parcel = gis.query_features(world.db, slug="land-parcels", limit=1).features[0]
    correction = {
        "csrf_token": csrf,
        "layer": "land-parcels",
        "feature_id": parcel.id,
        "version": "1",
        "p_land_use_code": "TMD",
        "p_area_m2": str(parcel.properties["area_m2"]),
        "reason": "Cập nhật theo quyết định chuyển mục đích sử dụng đất",
    }
    saved = world.ask(editor, "gis.views.save_correction", "POST", EDITOR_PATH, 303, data=correction)
    assert "saved=1" in saved.headers["location"]


# ---------------------------------------------------------------- health


@scenario(
    "health.fhir_api.create",
    "health.fhir_api.update",
    "health.fhir_api.search_post",
    "health.fhir_api.transaction",
    "health.fhir_api.token",
    "health.views.staff_link",
    "health.views.staff_quarantine_action",
    "health.views.citizen_check_in",
    "health.views.citizen_consent",
)
def health(world: World) -> None:
    from datetime import date

    from smartcity.health import service as health_service
    from tests.health.conftest import patient

    load_city_pack(world.db, actor=SYSTEM)
    health_service.ensure_health_roles(world.db)
    health_service.ensure_health_stations(world.db, actor=SYSTEM, on=date(2026, 1, 1))
    fhir = "/fhir/R4"
    manager = {**world.bearer("quanly", ("health_manager", None)), "Accept": "application/fhir+json"}
    person = patient("074190011111", "Quách", "Tĩnh", "1980-01-01")  # of ward 25747
    created = world.ask(
        world.browser(),
        "health.fhir_api.create",
        "POST",
        f"{fhir}/Patient",
        201,
        json=person,
        headers=manager,
    )
    pid = created.json()["id"]
    changed = {**created.json(), "telecom": [{"system": "phone", "value": "0912345678"}]}
    world.ask(
        world.browser(),
        "health.fhir_api.update",
        "PUT",
        f"{fhir}/Patient/{pid}",
        200,
        json=changed,
        headers=manager,
    )
    search = {"identifier": "074190011111"}
    world.ask(
        world.browser(),
        "health.fhir_api.search_post",
        "POST",
        f"{fhir}/Patient/_search",
        200,
        data=search,
        headers=manager,
    )
    entry = {
        "resource": patient("074099003333", "Hồ", "Anh", "1999-01-01"),
        "request": {"method": "POST", "url": "Patient"},
    }
    batch = {"resourceType": "Bundle", "type": "batch", "entry": [entry]}
    world.ask(world.browser(), "health.fhir_api.transaction", "POST", fhir, 200, json=batch, headers=manager)

    organisation = {"resourceType": "Organization", "name": "Bệnh viện Đa khoa (thử)"}
    org = world.browser().post(f"{fhir}/Organization", json=organisation, headers=manager).json()["id"]
    client_id, secret = health_service.register_system(
        world.db, actor=SYSTEM, name="HIS (thử)", organization_id=org
    )
    grant = {"grant_type": "client_credentials", "client_id": client_id, "client_secret": secret}
    granted = world.ask(
        world.browser(), "health.fhir_api.token", "POST", f"{fhir}/auth/token", 200, data=grant
    )
    system = {"Authorization": f"Bearer {granted.json()['access_token']}"}
    theirs = patient(
        "074301000001", "Tạ", "Minh", "2001-01-01", managingOrganization={"reference": f"Organization/{org}"}
    )
    world.ask(
        world.browser(), "health.fhir_api.create", "POST", f"{fhir}/Patient", 201, json=theirs, headers=system
    )

    world.user("quachtinh", ("citizen", None))
    worker = {**world.bearer("tramyte", ("health_worker", "TYT-25747")), "Accept": "text/html"}
    base = "/can-bo/y-te"
    linked = world.ask(
        world.browser(),
        "health.views.staff_link",
        "POST",
        f"{base}/benh-nhan/{pid}/lien-ket",
        303,
        data={"username": "quachtinh"},
        headers=worker,
    )
    assert "da-lien-ket" in linked.headers["location"]
    case = {"action": "open", "patient_id": pid, "disease": "covid-19", "kind": "case"}
    opened = world.ask(
        world.browser(),
        "health.views.staff_quarantine_action",
        "POST",
        f"{base}/cach-ly",
        303,
        data=case,
        headers=worker,
    )
    assert opened.headers["location"] == f"{base}/cach-ly"
    [row] = health_service.cases_of_user(world.db, _user_id(world, "quachtinh"))
    citizen = {**world.bearer("quachtinh"), "Accept": "text/html"}
    check_in = {"case_id": str(row.case_id), "temperature": "37,2", "symptoms": ["ho"]}
    done = world.ask(
        world.browser(),
        "health.views.citizen_check_in",
        "POST",
        "/suc-khoe/khai-bao",
        303,
        data=check_in,
        headers=citizen,
    )
    assert done.headers["location"] == "/suc-khoe?da-khai-bao=1"
    world.ask(
        world.browser(),
        "health.views.citizen_consent",
        "POST",
        "/suc-khoe/dong-y",
        303,
        data={"given": "1"},
        headers=citizen,
    )


# ---------------------------------------------------------------- investment


@scenario("investment.api.post_photo", "investment.views.upload_photo", "investment.views.plan_import")
def investment(world: World) -> None:
    import io
    from datetime import date

    from openpyxl import Workbook
    from PIL import Image

    from smartcity.core import clock
    from smartcity.investment import service as projects

    load_city_pack(world.db, actor=SYSTEM)
    project = {"code": "DA-EV-1", "name": "Trường tiểu học Phú Lợi", "start_date": date(2025, 3, 1)}
    pid = projects.create_project(world.db, actor=SYSTEM, data=project)
    png = io.BytesIO()
    Image.new("RGB", (80, 60), (200, 120, 40)).save(png, format="PNG")
    photo = {"file": ("a.png", png.getvalue(), "image/png")}
    today = clock.today(world.settings).isoformat()
    headers = world.bearer("ketoan", ("specialist", None))
    form = {"taken_on": today, "lon": "106.66", "lat": "10.98", "caption": "Đổ bê tông sàn tầng 2"}
    path = f"/api/v1/investment/projects/{pid}/photos"
    world.ask(
        world.browser(),
        "investment.api.post_photo",
        "POST",
        path,
        201,
        data=form,
        files=photo,
        headers=headers,
    )

    finance, csrf = world.signed_in("ketoan")
    page = {"csrf_token": csrf, "ngay_chup": today, "ghi_chu": "Thảm nhựa lớp 1"}
    path = f"/can-bo/dau-tu/du-an/{pid}/anh"
    added = world.ask(finance, "investment.views.upload_photo", "POST", path, 303, data=page, files=photo)
    assert "error" not in added.headers["location"]
    book = Workbook()
    book.active.append(projects.TEMPLATE_HEADERS)
    book.active.append(("DA-EV-1", "Ngân sách tỉnh", 100))
    plan = io.BytesIO()
    book.save(plan)
    world.ask(
        finance,
        "investment.views.plan_import",
        "POST",
        "/can-bo/dau-tu/ke-hoach-von",
        200,
        data={"year": "2028", "csrf_token": csrf},
        files={"file": ("kh.xlsx", plan.getvalue())},
    )


# ---------------------------------------------------------------- IoT and NGSI-LD


@scenario(
    "iot.api.import_devices",
    "iot.ngsi_api.create_entity",
    "iot.ngsi_api.update_attributes",
    "iot.ngsi_api.batch_create",
    "iot.ngsi_api.batch_update",
    "iot.ngsi_api.upsert",
    "iot.ngsi_api.post_query",
    "iot.ngsi_api.batch_delete",
    "iot.ngsi_api.create_subscription",
    "iot.ngsi_api.update_subscription",
)
def iot(world: World) -> None:
    box = world.browser()
    box.headers["X-API-Key"] = accounts.create_api_key(world.db, actor=SYSTEM, name="integration").key
    csv = "id,type,lon,lat,tags\nSL-10,streetlight,106.65,10.98,a;b\nWC-10,waste_container,106.66,10.97,\n"
    imported = world.ask(
        box,
        "iot.api.import_devices",
        "POST",
        "/api/v1/iot/devices/import",
        200,
        content=csv,
        headers={"content-type": "text/csv"},
    )
    assert imported.json()["created"] == 2
    ngsi = "/ngsi-ld/v1"
    sensor = {
        "id": "urn:ngsi-ld:AirQualityObserved:AQ-7",
        "type": "AirQualityObserved",
        "location": {"type": "GeoProperty", "value": {"type": "Point", "coordinates": [106.66, 10.97]}},
        "pm25": {"type": "Property", "value": 31.5, "observedAt": "2026-03-01T20:00:00Z"},
    }
    world.ask(box, "iot.ngsi_api.create_entity", "POST", f"{ngsi}/entities", 201, json=sensor)
    reading = {"pm25": {"type": "Property", "value": 40.0, "observedAt": "2026-03-01T21:00:00Z"}}
    path = f"{ngsi}/entities/{sensor['id']}/attrs"
    world.ask(box, "iot.ngsi_api.update_attributes", "PATCH", path, 204, json=reading)
    lights = [
        {
            "id": f"urn:ngsi-ld:Streetlight:B-{i}",
            "type": "Streetlight",
            "dimLevel": {"type": "Property", "value": i},
        }
        for i in (1, 2)
    ]
    world.ask(box, "iot.ngsi_api.batch_create", "POST", f"{ngsi}/entityOperations/create", 201, json=lights)
    dimmed = [{**lights[0], "dimLevel": {"type": "Property", "value": 55}}]
    world.ask(box, "iot.ngsi_api.batch_update", "POST", f"{ngsi}/entityOperations/update", 204, json=dimmed)
    container = [{"id": "urn:ngsi-ld:WasteContainer:WC-2", "type": "WasteContainer"}]
    world.ask(box, "iot.ngsi_api.upsert", "POST", f"{ngsi}/entityOperations/upsert", 201, json=container)
    query = {"type": "Query", "entities": [{"type": "Streetlight"}], "q": "dimLevel==55"}
    found = world.ask(
        box, "iot.ngsi_api.post_query", "POST", f"{ngsi}/entityOperations/query", 200, json=query
    )
    assert [e["id"] for e in found.json()] == [lights[0]["id"]]
    world.ask(
        box,
        "iot.ngsi_api.batch_delete",
        "POST",
        f"{ngsi}/entityOperations/delete",
        204,
        json=[lights[1]["id"]],
    )
    subscription = {  # paused: nothing is sent anywhere
        "type": "Subscription",
        "entities": [{"type": "WasteContainer"}],
        "isActive": False,
        "notification": {"endpoint": {"uri": "http://93.184.216.34/notify"}},  # a public address
    }
    made = world.ask(
        box, "iot.ngsi_api.create_subscription", "POST", f"{ngsi}/subscriptions", 201, json=subscription
    )
    path = made.headers["Location"]
    world.ask(box, "iot.ngsi_api.update_subscription", "PATCH", path, 204, json={"throttling": 10})


# ---------------------------------------------------------------- portal news, catalogue import


@scenario("portal.views.create_post", "portal.views.update_post", "procedures.api.import_file")
def portal_and_catalogue(world: World) -> None:
    import io

    from PIL import Image

    from smartcity.portal.models import Post
    from smartcity.procedures import service as procedures
    from smartcity.procedures.catalogue import build_catalogue
    from tests.dossiers.dossier_fixtures import ORG_CHART

    editor, csrf = world.signed_in("bientap", ("leader", None))
    png = io.BytesIO()
    Image.new("RGB", (80, 60), (20, 120, 200)).save(png, format="PNG")
    post = {
        "csrf_token": csrf,
        "kind": "news",
        "title_vi": "Khai trương điểm thu gom rác ngầm Đinh Bộ Lĩnh",
        "summary_vi": "Bốn thùng rác ngầm tại giao lộ Đinh Bộ Lĩnh - Bạch Đằng.",
        "body_vi": "Đoạn một.\n\nĐoạn hai.",
        "image_alt_vi": "Thùng rác ngầm màu xanh bên đường",
    }
    image = {"image": ("a.png", png.getvalue(), "image/png")}
    world.ask(editor, "portal.views.create_post", "POST", "/can-bo/tin-tuc/moi", 303, data=post, files=image)
    [post_id] = world.db.all(select(Post.id))
    post["summary_vi"] += " Mở cửa từ 6 giờ sáng."
    world.ask(editor, "portal.views.update_post", "POST", f"/can-bo/tin-tuc/{post_id}", 303, data=post)

    units = json.loads(ORG_CHART.read_text(encoding="utf-8"))["org_units"]
    accounts.upsert_org_units(world.db, actor=SYSTEM, units=units)
    procedures.upsert_procedures(world.db, actor=SYSTEM, records=build_catalogue()[:6])
    admin = world.browser()
    admin.headers.update(world.bearer("quantri", ("admin", None)))
    catalogue = admin.get("/api/v1/procedures/export", params={"format": "csv"})
    assert catalogue.status_code == 200
    file = {"file": ("c.csv", catalogue.content, "text/csv")}
    world.ask(admin, "procedures.api.import_file", "POST", "/api/v1/procedures/import", 200, files=file)


# ---------------------------------------------------------------- signing


@scenario(
    "signing.api.post_sign",
    "signing.api.post_verify",
    "signing.api.post_ocsp",
    "signing.api.post_tsa",
    "signing.api.post_trusted_root",
    "signing.views.verify_upload",
)
def signing(world: World) -> None:
    import hashlib
    from datetime import timedelta

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.x509 import ocsp

    from smartcity.signing import pki
    from smartcity.signing import service as signing_service
    from smartcity.signing.config import SigningSettings
    from tests.signing.conftest import LEADER, make_pdf
    from tests.signing.test_signing_protocols import _ts_request

    keys = SigningSettings(public_base_url="http://verify.test", signing_root_key_bits=2048)
    signing_service.init_pki(world.db, actor=SYSTEM, settings=world.settings, signing_settings=keys)
    official = signing_service.issue_official_certificate(
        world.db,
        actor=SYSTEM,
        username=LEADER,
        full_name="Nguyễn Văn An",
        org_unit_code="W-PHU-CUONG",
        settings=world.settings,
        signing_settings=keys,
    )
    leader = world.browser()
    leader.headers.update(world.bearer(LEADER, ("specialist", None)))
    file = {"file": ("giay-chung-nhan.pdf", make_pdf(), "application/pdf")}
    signed = world.ask(
        leader,
        "signing.api.post_sign",
        "POST",
        "/api/v1/signing/sign",
        200,
        files=file,
        data={"level": "B-B"},
    )
    file = {"file": ("kq.pdf", signed.content, "application/pdf")}
    world.ask(world.browser(), "signing.api.post_verify", "POST", "/api/v1/signing/verify", 200, files=file)
    world.ask(world.browser(), "signing.views.verify_upload", "POST", "/kiem-tra-chu-ky", 200, files=file)

    issuing = x509.load_der_x509_certificate(world.browser().get("/api/v1/signing/ca/issuing.crt").content)
    cert = x509.load_pem_x509_certificate(signing_service.certificate_pem(world.db, official.serial).encode())
    question = ocsp.OCSPRequestBuilder().add_certificate(cert, issuing, hashes.SHA256()).build()
    body = question.public_bytes(serialization.Encoding.DER)
    kind = {"content-type": "application/ocsp-request"}
    world.ask(
        world.browser(),
        "signing.api.post_ocsp",
        "POST",
        "/api/v1/signing/ocsp",
        200,
        content=body,
        headers=kind,
    )
    stamp = _ts_request(hashlib.sha256(b"document").digest(), 4242)
    kind = {"content-type": "application/timestamp-query"}
    world.ask(
        world.browser(),
        "signing.api.post_tsa",
        "POST",
        "/api/v1/signing/tsa",
        200,
        content=stamp,
        headers=kind,
    )

    ca_key = pki.new_rsa_key(2048)
    ca = pki.build_certificate(
        kind="root-ca",
        subject=pki.SubjectInfo(
            common_name="Ban Cơ yếu Chính phủ (thử)", organisation="BCY", locality="Hà Nội"
        ),
        public_key=ca_key.public_key(),
        issuer=None,
        issuer_key=ca_key,
        lifetime=timedelta(days=365),
    )
    admin = world.browser()
    admin.headers.update(world.bearer("quantri", ("admin", None)))
    pem = ca.public_bytes(serialization.Encoding.PEM)
    world.ask(
        admin, "signing.api.post_trusted_root", "POST", "/api/v1/signing/trusted-roots", 201, content=pem
    )


# ---------------------------------------------------------------- tests


def test_every_async_route_is_asked_or_reads_no_database(app):  # type: ignore[no-untyped-def]
    asked = set().union(*(routes for _, routes in SCENARIOS.values()))
    routes = async_routes(app)
    assert routes - asked - set(NO_DATABASE) == set(), "async routes no scenario asks"
    assert (asked | set(NO_DATABASE)) - routes == set(), "asked or listed, but no longer async routes"
    assert {listed.split(" [")[0] for listed in ON_THE_LOOP} <= asked


@pytest.mark.parametrize("name", sorted(SCENARIOS))
def test_async_routes_take_no_database_connection_on_the_event_loop(  # type: ignore[no-untyped-def]
    name, app, db, settings, on_the_loop, request
):
    function, routes = SCENARIOS[name]
    world = World(app, db, settings, on_the_loop, request.getfixturevalue)
    with TestClient(world):  # the application's startup and shutdown
        function(world)
    assert {asked.split(" [")[0] for asked in world.asked} == routes, "the scenario asks other routes"
    problems = []
    for route, stacks in sorted(world.asked.items()):
        if route in ON_THE_LOOP and not stacks:
            problems.append(f"{route} no longer works on the event loop: take it off ON_THE_LOOP")
        elif route not in ON_THE_LOOP and stacks:
            problems.append(f"{route} took a database connection on the event loop:\n{stacks[0]}")
    assert not problems, "\n\n".join(problems)
