"""The education demo's fees and assets: a year of invoices and payments, each school's register and its
last stocktake. A part of the demo's builder (education.demo._Builder)."""

from __future__ import annotations

import random
from collections import defaultdict
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, cast

from sqlalchemy import Table, bindparam, func, insert, select, update
from sqlalchemy.orm import Session

from smartcity.core import clock
from smartcity.core.config import Settings
from smartcity.core.demo import DEMO_CITIZEN
from smartcity.education.config import EducationSettings
from smartcity.education.models import (
    Asset,
    AssetMovement,
    FeePayment,
    Guardian,
    Invoice,
    School,
    SchoolClass,
    SchoolYear,
    Stocktake,
    StocktakeLine,
)
from smartcity.education.service.fees import invoice_lines


def _table(model: Any) -> Table:
    """The table of a model, for plain (Core) bulk inserts."""
    return cast(Table, model.__table__)


class FeesAndAssets:
    """The builder's fees and assets parts; the builder holds the session, the random source and the year."""

    s: Session
    settings: Settings
    rng: random.Random
    today: date
    year: SchoolYear
    schools: dict[str, School]
    users: dict[str, int]
    summary: dict[str, int]
    _children_ids: set[int]

    # -------------------------------------------------------------- fees

    def _months(self) -> list[tuple[str, date]]:
        """The billed months since September, with the day each month's invoices were issued."""
        months, first = [], self.year.starts_on.replace(day=1)
        while first <= self.today:
            issued = max(first, self.year.starts_on)
            while issued.isoweekday() > 5:
                issued += timedelta(days=1)
            months.append((f"{first.year}-{first.month:02d}", issued))
            first = (first + timedelta(days=32)).replace(day=1)
        return [(p, d) for p, d in months if d <= self.today]

    def fees(self, meta: list[dict[str, Any]]) -> None:
        """Invoices for every month so far; most paid (online or at the counter), some overdue."""
        config = self.settings.section(EducationSettings)
        rows: list[dict[str, Any]] = []
        seq: dict[tuple[int, str], int] = defaultdict(int)
        cache: dict[tuple[str, int, tuple[str, ...]], list[dict[str, Any]]] = {}
        for period, issued in self._months():
            month = int(period[5:])
            due = date(issued.year, issued.month, config.invoice_due_day)
            due = due if due >= issued else issued + timedelta(days=10)
            for m in meta:
                school = m["school"]
                key = (school.level, month, tuple(m.get("categories", ())))
                if key not in cache:
                    cache[key] = invoice_lines(
                        year=self.year.name,
                        level=school.level,
                        month=month,
                        categories=list(key[2]),
                        insurance_month=config.health_insurance_month,
                    )
                lines = cache[key]
                total = sum(line["net"] for line in lines)
                seq[(school.id, period)] += 1
                number = f"{school.code}-{period.replace('-', '')}-{seq[(school.id, period)]:04d}"
                rows.append(
                    {
                        "number": number,
                        "school_id": school.id,
                        "student_id": m["id"],
                        "year_id": self.year.id,
                        "period": period,
                        "lines": lines,
                        "total_vnd": total,
                        "paid_vnd": 0,
                        "issued_on": issued,
                        "due_on": due,
                        "status": "open" if total else "paid",
                    }
                )
        self.s.connection().execute(_table(Invoice).insert(), rows)  # plain executemany: the fastest
        by_number = dict(self.s.execute(select(Invoice.number, Invoice.id)).all())
        ids = [by_number[row["number"]] for row in rows]
        payments, paid_ids = self._payments(rows, ids)
        if payments:
            self.s.connection().execute(_table(FeePayment).insert(), payments)
        statement = (
            update(Invoice)
            .where(Invoice.id == bindparam("iid"))
            .values(paid_vnd=bindparam("paid"), status="paid")
        )
        self.s.connection().execute(statement, [{"iid": iid, "paid": paid} for iid, paid in paid_ids])
        self.summary["invoices"] = len(rows)
        self.summary["payments"] = len(payments)

    def _payments(
        self, rows: list[dict[str, Any]], ids: list[int]
    ) -> tuple[list[dict[str, Any]], list[tuple[int, int]]]:
        """Who paid what, when and how; the demo parent's latest invoice stays open for the tour."""
        months = sorted({r["period"] for r in rows})
        # share paid by how many months ago the invoice was issued: this month, last month, before
        chance = {0: 0.35, 1: 0.9, 2: 0.97}
        payments, paid = [], []
        receipts: dict[int, int] = defaultdict(int)
        now = datetime.now(UTC)
        events = []
        for row, iid in zip(rows, ids, strict=True):
            if row["total_vnd"] <= 0:
                continue
            age = len(months) - 1 - months.index(row["period"])
            if age == 0 and self._is_demo_child(row):
                continue  # the demo parent pays this month's fees online during the tour
            if self.rng.random() >= chance.get(age, 0.985):
                continue
            issued: date = row["issued_on"]
            span = max(1, min((self.today - issued).days, 25))
            day = issued + timedelta(days=self.rng.randrange(span))
            moment = datetime.combine(
                day,
                time(self.rng.randrange(7, 20), self.rng.randrange(60)),
                tzinfo=clock.city_zone(self.settings),
            ).astimezone(UTC)
            moment = min(moment, now - timedelta(hours=1))
            events.append((moment, row, iid))
        events.sort(key=lambda e: e[0])
        for moment, row, iid in events:
            online = self.rng.random() < 0.62
            receipts[row["school_id"]] += 1
            school_code = row["number"].rsplit("-", 2)[0]
            payments.append(
                {
                    "invoice_id": iid,
                    "school_id": row["school_id"],
                    "channel": "online" if online else "counter",
                    "provider": "sandbox" if online else "",
                    "txn_ref": f"EDUDEMO{iid}" if online else None,
                    "provider_txn_no": f"{self.rng.randrange(10**8, 10**9)}" if online else None,
                    "amount_vnd": row["total_vnd"],
                    "status": "paid",
                    "receipt_number": f"BL-{school_code}-{clock.local_date(moment, self.settings).year}-"
                    f"{receipts[row['school_id']]:06d}",
                    "payer": "Phụ huynh học sinh",
                    "received_by": "" if online else "user:ketoan",
                    "started_at": moment,
                    "paid_at": moment,
                }
            )
            paid.append((iid, row["total_vnd"]))
        return payments, paid

    def _is_demo_child(self, row: dict[str, Any]) -> bool:
        if not hasattr(self, "_children_ids"):
            self._children_ids = set(
                self.s.scalars(
                    select(Guardian.student_id).where(Guardian.user_id == self.users[DEMO_CITIZEN.username])
                )
            )
        return row["student_id"] in self._children_ids

    # -------------------------------------------------------------- assets

    def assets(self) -> None:
        """Each school's register; last year's stock-take closed with its differences applied."""
        from smartcity.education.demo_assets import school_assets

        total_assets = 0
        for school in self.schools.values():
            classes = int(
                self.s.scalar(
                    select(func.count()).select_from(SchoolClass).where(SchoolClass.school_id == school.id)
                )
                or 0
            )
            items = school_assets(self.rng, school.level, classes, self.today)
            assets = list(
                self.s.scalars(
                    insert(Asset).returning(Asset, sort_by_parameter_order=True),
                    [i | {"school_id": school.id, "code": f"TS-{n + 1:05d}"} for n, i in enumerate(items)],
                )
            )
            self.s.execute(
                insert(AssetMovement),
                [
                    {
                        "asset_id": a.id,
                        "kind": "received",
                        "quantity": a.quantity,
                        "value_vnd": a.quantity * a.unit_value_vnd,
                        "on_date": a.acquired_on,
                        "reason": "Tiếp nhận vào sổ",
                        "actor": "system:demo",
                    }
                    for a in assets
                ],
            )
            self._last_stocktake(school, assets)
            total_assets += len(assets)
        self.summary["assets"] = total_assets

    def _last_stocktake(self, school: School, assets: list[Asset]) -> None:
        """Last year's stock-take: everything counted, one or two differences explained and applied."""
        counted_on = date(self.today.year - 1, 12, 20)
        take = Stocktake(
            school_id=school.id,
            year=counted_on.year,
            counted_on=counted_on,
            committee="Hội đồng kiểm kê do Hiệu trưởng thành lập",
            status="closed",
            closed_at=datetime.combine(counted_on, time(9), tzinfo=UTC),
            closed_by="system:demo",
        )
        self.s.add(take)
        self.s.flush()
        lines, movements = [], []
        older = [a for a in assets if a.acquired_on <= counted_on]
        short = self.rng.sample(older, k=min(2, len(older)))
        for asset in older:
            book = asset.quantity
            counted, condition, note = book, asset.condition, ""
            if asset is short[0] and book > 1:
                counted = book - 1
                note = "Hỏng không sửa được, đã lập biên bản; chờ thanh lý"
            elif len(short) > 1 and asset is short[1]:
                condition = "poor" if asset.condition != "poor" else "broken"
                note = "Xuống cấp sau mùa mưa, đề nghị sửa chữa"
            lines.append(
                {
                    "stocktake_id": take.id,
                    "asset_id": asset.id,
                    "book_quantity": book,
                    "counted_quantity": counted,
                    "book_condition": asset.condition,
                    "counted_condition": condition,
                    "explanation": note,
                }
            )
            if counted != book:
                movements.append(
                    {
                        "asset_id": asset.id,
                        "kind": "stocktake_shortage",
                        "quantity": book - counted,
                        "value_vnd": (book - counted) * asset.unit_value_vnd,
                        "on_date": counted_on,
                        "reason": note,
                        "reference": f"Kiểm kê năm {counted_on.year}",
                        "actor": "system:demo",
                    }
                )
                asset.quantity = counted
            if condition != asset.condition:
                movements.append(
                    {
                        "asset_id": asset.id,
                        "kind": "condition",
                        "quantity": 0,
                        "value_vnd": 0,
                        "on_date": counted_on,
                        "reason": note,
                        "reference": f"Kiểm kê năm {counted_on.year}",
                        "actor": "system:demo",
                    }
                )
                asset.condition = condition
        self.s.execute(insert(StocktakeLine), lines)
        if movements:
            self.s.execute(insert(AssetMovement), movements)
