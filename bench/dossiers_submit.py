"""Dossier benchmark: online submissions per second through the service (form validation, attachment
checks, encryption, code allocation, audit, outbox, notification) on SQLite and optionally PostgreSQL,
beside the platform's smallest durable write (one unit of work with one audit row) in the same run.

    .venv/bin/python bench/dossiers_submit.py --count 200 --threads 4 \\
        --postgres postgresql://postgres@127.0.0.1:5432/smartcity_bench_dossiers

The PostgreSQL database is emptied (schema public dropped). Figures are printed with their ratio to the
reference write; the concurrent run also checks that every dossier code is unique.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from sqlalchemy import text

import smartcity.city
from smartcity.accounts import service as accounts
from smartcity.core.config import Settings, normalise_database_url
from smartcity.core.db import Database
from smartcity.core.migrate import upgrade
from smartcity.core.security import Actor
from smartcity.core.uow import UnitOfWork
from smartcity.domains import import_models, register_handlers
from smartcity.dossiers import service
from smartcity.dossiers.schemas import DossierCreate
from smartcity.procedures import service as procedures
from smartcity.procedures.catalogue import build_catalogue

ACTOR = Actor.system("bench")
PDF = b"%PDF-1.4\n% bench\n%%EOF\n"
FORM = {
    "owner_name": "Nguyễn Văn An",
    "street": "Đường Bạch Đằng",
    "ward_code": "25747",
    "map_sheet": 12,
    "parcel_number": 345,
    "purpose": "new",
}


def _prepare(url: str, data_dir: Path) -> tuple[Database, Settings, Actor]:
    db = Database(url)
    if db.dialect == "postgresql":
        with db.engine.begin() as conn:
            conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
            conn.execute(text("CREATE EXTENSION IF NOT EXISTS postgis"))
    upgrade(db)
    chart = Path(smartcity.city.__file__).resolve().parent / "packs" / "thu-dau-mot" / "org_chart.json"
    accounts.upsert_org_units(
        db, actor=ACTOR, units=json.loads(chart.read_text(encoding="utf-8"))["org_units"]
    )
    procedures.upsert_procedures(db, actor=ACTOR, records=build_catalogue()[:6])
    user = accounts.create_user(
        db,
        actor=ACTOR,
        username="bench_citizen",
        password="bench password",  # noqa: S106 (a throwaway bench user), roles=[("citizen", None)]
    )
    settings = Settings(data_dir=data_dir, database_url=url, secret_key="bench-secret-" + "x" * 32)
    return db, settings, accounts.actor_for_user(db, user.id)


def _submit(db: Database, settings: Settings, citizen: Actor, index: int) -> str:
    data = DossierCreate(
        procedure_code="TDM-QLDT-001",
        form=FORM,
        applicant={"name": "Nguyễn Văn An", "id_number": "074090001234"},
    )
    uploads = [
        service.Upload("don_de_nghi", "d.pdf", "application/pdf", PDF + str(index).encode()),
        service.Upload("gcn_qsdd", "g.pdf", "application/pdf", PDF),
    ]
    detail, _ = service.submit_dossier(
        db, actor=citizen, settings=settings, data=data, uploads=uploads, idempotency_key=f"bench-{index}"
    )
    return detail.code


def _reference(db: Database, count: int) -> float:
    started = time.perf_counter()
    for index in range(count):
        with UnitOfWork(db, ACTOR) as uow:
            uow.audit("bench.reference", "bench", index)
    return count / (time.perf_counter() - started)


def _run(label: str, url: str, count: int, threads: int) -> None:
    with tempfile.TemporaryDirectory() as folder:
        db, settings, citizen = _prepare(url, Path(folder))
        reference = _reference(db, count)
        started = time.perf_counter()
        for index in range(count):
            _submit(db, settings, citizen, index)
        serial = count / (time.perf_counter() - started)
        started = time.perf_counter()
        with ThreadPoolExecutor(max_workers=threads) as pool:
            codes = list(pool.map(lambda i: _submit(db, settings, citizen, count + i), range(count)))
        parallel = count / (time.perf_counter() - started)
        unique = len(set(codes)) == len(codes)
        print(
            f"{label:10} reference write {reference:8.1f}/s | submissions serial {serial:7.1f}/s "
            f"(x{serial / reference:.3f}) | {threads} threads {parallel:7.1f}/s "
            f"(x{parallel / reference:.3f}) "
            f"| codes unique: {unique}"
        )
        db.dispose()


def main() -> None:
    """Run the benchmark and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--count", type=int, default=200)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--postgres", default=None)
    args = parser.parse_args()
    import_models()
    register_handlers()
    with tempfile.TemporaryDirectory() as folder:
        _run("sqlite", f"sqlite:///{folder}/bench.db", args.count, args.threads)
    if args.postgres:
        _run("postgresql", normalise_database_url(args.postgres), args.count, args.threads)


if __name__ == "__main__":
    main()
