"""`smartcity demo` preparation end to end (small data): every domain's demo loads, twice, on a fresh DB."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from rich.console import Console
from typer.testing import CliRunner

from smartcity.core.config import Settings, get_settings
from smartcity.core.demo import demo_data_still_loading
from smartcity.demo import prepare_demo


@pytest.fixture
def small_sizes(monkeypatch: pytest.MonkeyPatch) -> None:
    """Shrink the demo data so the whole preparation runs in seconds."""
    monkeypatch.setattr("smartcity.feedback.demo.DEMO_DAYS", 5)
    monkeypatch.setattr("smartcity.gis.demo.DEMO_PARCELS", 300)
    monkeypatch.setattr("smartcity.dossiers.demo.DEMO_COUNT", 40)


def test_demo_prepares_a_working_city_and_can_run_again(tmp_path: Path, small_sizes: None) -> None:
    settings = Settings(
        data_dir=tmp_path / "var", secret_key="demo-test-secret", log_json=False, _env_file=None
    )
    console = Console(record=True, width=200)
    login = prepare_demo(settings, console=console)
    again = prepare_demo(settings, console=console)
    assert again == login and login.username == "admin" and len(login.password) >= 12
    output = console.export_text()
    for domain in ("accounts", "gis", "procedures", "dossiers", "feedback", "iot"):
        assert f"  {domain}: " in output, output
    assert output.index("  ioc: ") > output.index("  education: "), "the centre summarises the others"
    _every_domain_has_indicator_history(settings)

    from smartcity.web.app import create_app

    with TestClient(create_app(settings)) as client:
        wards = client.get("/api/v1/city/units", params={"level": "ward", "on": "2022-02-27"}).json()
        assert len(wards) == 14
        token = client.post(
            "/api/v1/auth/token",
            data={
                "grant_type": "password",
                "username": "motcua",
                "password": login.password,
            },
        )
        assert token.status_code == 200
        bearer = {"Authorization": f"Bearer {token.json()['access_token']}"}
        me = client.get("/api/v1/auth/me", headers=bearer).json()
        assert me["name"] == "motcua"
        assert me["roles"] == [{"role": "clerk", "org_unit_code": "UBND-25747-HCM"}]
        procedures = client.get("/api/v1/procedures", params={"limit": 1}).json()
        assert procedures["total"] == 278
        _the_demo_citizen_is_one_person(client, settings, login.password)


def test_demo_command_prints_the_login(
    tmp_path: Path, small_sizes: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The command's wiring (the whole preparation is the test above's): only the first pages' data loads."""
    from smartcity import demo
    from smartcity.cli import app

    every_domain = demo.load_domain_demos
    monkeypatch.setattr(
        demo,
        "load_domain_demos",
        lambda db, **kwargs: every_domain(db, **{**kwargs, "only": demo.FIRST_PAGE_DOMAINS.__contains__}),
    )
    monkeypatch.setenv("SMARTCITY_DATA_DIR", str(tmp_path / "var"))
    monkeypatch.delenv("SMARTCITY_DATABASE_URL", raising=False)
    get_settings.cache_clear()
    try:
        result = CliRunner().invoke(app, ["demo", "--no-serve"])
    finally:
        get_settings.cache_clear()
    assert result.exit_code == 0, result.output
    password = (tmp_path / "var" / "demo-admin-password").read_text().strip()
    assert f"admin / {password}" in " ".join(result.output.split())
    assert "http://127.0.0.1:8000/" in result.output


def test_the_deferred_demo_data_reaches_the_open_data_files(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The worker builds the open-data files as the server starts, before the deferred demo data is
    loaded; once it is, the demo rebuilds them instead of leaving 0 rows until the next hourly run."""
    from smartcity import demo
    from smartcity.core.db import Database
    from smartcity.core.migrate import upgrade
    from smartcity.core.security import Actor
    from smartcity.opendata import service as opendata
    from smartcity.procedures import service as procedures

    settings = Settings(
        data_dir=tmp_path / "var", secret_key="demo-test-secret", log_json=False, _env_file=None
    )
    db = Database(settings.resolved_database_url, dispatch_inline=True, settings=settings)
    upgrade(db)
    opendata.regenerate(db, settings, names=["procedures-catalogue"])  # the worker, at start

    loading_meanwhile: list[bool] = []

    def deferred(db: Database, **_kwargs: object) -> None:  # the demo data loaded after the start
        loading_meanwhile.append(demo_data_still_loading(settings.data_dir))
        procedures.load_city_catalogue(db, actor=Actor.system("demo"))

    monkeypatch.setattr(demo, "_wait_for", lambda *_args, **_kwargs: True)
    monkeypatch.setattr(demo, "load_domain_demos", deferred)

    def csv_rows() -> int | None:
        info = opendata.dataset_info(db, settings, opendata.get_dataset("procedures-catalogue"), "http://x/")
        return {r.id: r.rows for r in info.resources}["procedures-catalogue-csv"]

    assert csv_rows() == 0
    done: list[bool] = []
    demo.load_deferred_demos(
        settings, base_url="http://x", console=Console(record=True), then=lambda: done.append(True)
    ).join(timeout=120)
    assert done and csv_rows() == 278
    assert loading_meanwhile == [True] and not demo_data_still_loading(settings.data_dir)
    db.dispose()


def test_pages_say_the_demo_data_is_still_loading_while_it_is(client: TestClient, settings: Settings) -> None:
    """While the demo loads its data in the background, every page says why it may still be empty; a mark
    left behind by a demo that was stopped mid-way (its process gone) says nothing."""
    from smartcity.core.demo import DEMO_LOADING_MARK, demo_data_loading

    notice = "Dữ liệu mẫu của thành phố đang được nạp"
    with demo_data_loading(settings.data_dir):
        assert notice in client.get("/").text
        english = client.get("/thu-tuc", params={"lang": "en"}).text
        assert "The city&#39;s demo data is still loading" in english
    assert notice not in client.get("/").text
    (settings.data_dir / DEMO_LOADING_MARK).write_text("999999999")  # no such process
    assert notice not in client.get("/").text


def _the_demo_citizen_is_one_person(client: TestClient, settings: Settings, password: str) -> None:
    """Signed in as the demo citizen: her health record and her dossiers carry one ID card, of a woman born
    in 1990; her children on the health page and at school are the same people where they overlap, all
    Nguyễn (their father's name), born at least nine months apart and none after today."""
    import re
    from datetime import date, datetime
    from itertools import pairwise

    from sqlalchemy import select

    from smartcity.accounts import service as accounts
    from smartcity.core import clock
    from smartcity.core.crypto import decrypt_personal
    from smartcity.core.db import Database
    from smartcity.dossiers.models import Dossier
    from smartcity.health import service as health
    from smartcity.health.fhir import store

    form = client.get("/login").text
    token = form.split('name="csrf_token" value="')[1].split('"')[0]
    client.post("/login", data={"username": "congdan", "password": password, "csrf_token": token})
    today = clock.today(settings)

    def born(text: str) -> date:
        return datetime.strptime(text, "%d/%m/%Y").date()

    records = re.findall(r'<h2>([^<]+?) <span class="muted">([\d/]+)</span>', client.get("/suc-khoe").text)
    assert records and records[0][0] == "Đỗ Thị Lan", records  # her own record first, then her children's
    mother_birth = born(records[0][1])
    on_health = {name: born(day) for name, day in records[1:]}
    assert mother_birth.year == 1990
    school_codes = re.findall(r'href="/con-toi/(HS\d+)"', client.get("/con-toi").text)
    at_school = {}
    for code in dict.fromkeys(school_codes):
        page = client.get(f"/con-toi/{code}").text
        name = re.search(r"<h1>([^<]+)</h1>", page).group(1).strip()  # type: ignore[union-attr]
        at_school[name] = born(re.search(r"ngày sinh ([\d/]+)", page).group(1))  # type: ignore[union-attr]
    assert len(on_health) == 3 and len(at_school) == 2, (on_health, at_school)
    assert "Nguyễn Ngọc Bảo Vy" in on_health and "Nguyễn Ngọc Bảo Vy" in at_school
    assert all(on_health[name] == day for name, day in at_school.items()), "the same children, born once"
    children = sorted({**on_health, **at_school}.items(), key=lambda item: item[1])
    assert all(name.startswith("Nguyễn ") for name, _day in children)
    assert all((later[1] - earlier[1]).days >= 270 for earlier, later in pairwise(children)), children
    assert all(day <= today for _name, day in children)

    db = Database(settings.resolved_database_url, settings=settings)
    try:
        user = accounts.get_user_by_username(db, "congdan")
        assert user is not None
        patient = health.patient_for_user(db, user.id)
        assert patient is not None
        with db.session() as s:
            record = store.read(s, settings.personal_keys, "Patient", patient).resource
            sealed = s.scalars(
                select(Dossier.applicant_id_encrypted).where(Dossier.applicant_user_id == user.id)
            )
            cards = {decrypt_personal(settings.personal_keys, value) for value in sealed if value}
    finally:
        db.dispose()
    card = record["identifier"][0]["value"]
    assert cards == {card}, "her dossiers and her health record: one ID card"
    assert card[3:6] == "190" and record["birthDate"] == mother_birth.isoformat(), "a woman born in 1990"


def _every_domain_has_indicator_history(settings: Settings) -> None:
    """The operations centre's tiles show a value for each domain from the first minute (its history is
    made after the other domains' demo data)."""
    from smartcity.core.db import Database
    from smartcity.ioc import service as ioc

    db = Database(settings.resolved_database_url, settings=settings)
    try:
        tiles = ioc.latest(db, settings=settings)
    finally:
        db.dispose()
    with_values = {tile["indicator"].code.split(".")[0] for tile in tiles if tile["value"] is not None}
    for domain in ("dossiers", "feedback", "education", "lighting", "investment", "environment", "waste"):
        assert domain in with_values, (
            f"no indicator of {domain} has a value on the centre: {sorted(with_values)}"
        )
