"""The referral outcome report of one agency: counts, medians, the closed-loop rate.

Aggregates only, for supervisors, compliance officers and agency admins (no client data ever).
When any referral counted involves a victim service provider (either party), the report is
suppressed as a whole (reports/suppression.py) and covers one calendar month at a time, so
overlapping periods cannot be subtracted from one another to reveal a hidden cell.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from agencies.models import Agency
from agencies.taxonomy import service_type_info
from audit.services import audit_record
from core.actor import Actor
from core.errors import PermissionDenied, ValidationFailed
from core.roles import Role
from referrals.models import ReferralStatus
from reports.figures import CLOSED, Figures, figures_of, median
from reports.rows import RECEIVED, SENT, report_rows
from reports.suppression import hide_grouped, hide_small_cells, is_small

READERS = (Role.SUPERVISOR, Role.COMPLIANCE_OFFICER, Role.AGENCY_ADMIN)
MAX_MONTHS = 12


@dataclass(frozen=True)
class Cell:
    key: str
    label: str
    count: int | None  # None: hidden
    marker: str

    @property
    def suppressed(self) -> bool:
        return self.count is None

    @property
    def display(self) -> str:
        return self.marker if self.count is None else str(self.count)


@dataclass(frozen=True)
class Figure:
    value: float | None  # None: hidden, or nothing to measure
    suppressed: bool


@dataclass(frozen=True)
class ReferralReport:
    agency: Agency
    direction: str
    start: str
    end: str
    generated_at: datetime
    suppressed: bool  # the victim-service-provider rule applies
    threshold: int
    total: Cell
    by_status: list[Cell]
    by_service_type: list[Cell]
    by_partner_agency: list[Cell]
    by_month: list[Cell]
    median_hours_to_accept: Figure
    median_hours_to_close: Figure
    closed_loop_rate: Figure


def months_between(start: str, end: str) -> list[str]:
    """["2026-10", "2026-11"] for ("2026-10", "2026-11"); at most MAX_MONTHS, else 400."""
    (y, m), (y2, m2) = (map(int, start.split("-")), map(int, end.split("-")))
    count = (y2 - y) * 12 + (m2 - m) + 1
    if not 1 <= count <= MAX_MONTHS:
        raise ValidationFailed(
            f"end must be 0 to {MAX_MONTHS - 1} months after start.", field="end"
        )
    return [f"{y + (m - 1 + i) // 12:04d}-{(m - 1 + i) % 12 + 1:02d}" for i in range(count)]


def _bounds(months: list[str]) -> tuple[datetime, datetime]:
    first = date.fromisoformat(f"{months[0]}-01")
    y, m = map(int, months[-1].split("-"))
    after = date(y + m // 12, m % 12 + 1, 1)
    tz = timezone.get_current_timezone()
    return (
        datetime.combine(first, datetime.min.time(), tz),
        datetime.combine(after, datetime.min.time(), tz),
    )


class _Table:
    """Turns counts into cells, hiding what the rule hides."""

    def __init__(self, suppress: bool, threshold: int):
        self.suppress, self.threshold = suppress, threshold
        self.marker = f"<{threshold}"

    def cells(
        self, items: list[tuple[str, str, int]], hidden: list[bool] | None = None
    ) -> list[Cell]:
        if hidden is None:
            values = [n for _, _, n in items]
            hidden = (
                hide_small_cells(values, threshold=self.threshold)
                if self.suppress
                else [False] * len(items)
            )
        return [
            Cell(k, label, None if h else n, self.marker)
            for (k, label, n), h in zip(items, hidden, strict=True)
        ]

    def small(self, count: int) -> bool:
        return self.suppress and is_small(count, threshold=self.threshold)

    def figure(self, value: float | None, n: int) -> Figure:
        hide = self.suppress and n < self.threshold
        return Figure(None if hide else value, hide)


def _status_cells(table: _Table, figures: Figures) -> tuple[list[Cell], Figure]:
    """By status, and the closed-loop rate. The rate publishes the closed subtotal, so when it is
    shown each group (open, closed) is protected on its own; when either subtotal is small the
    rate is hidden too."""
    items = [(s, ReferralStatus(s).label, figures.by_status[s]) for s in figures.by_status]
    closed, total = figures.closed, figures.total
    rate = round(closed / total, 3) if total else None
    rate_hidden = table.small(total) or table.small(closed) or table.small(total - closed)
    if not table.suppress:
        return table.cells(items), Figure(rate, False)
    if rate_hidden:
        return table.cells(items), Figure(None, True)
    groups = [int(s in CLOSED) for s, _, _ in items]
    values = [n for _, _, n in items]
    return table.cells(items, hide_grouped(values, groups, threshold=table.threshold)), Figure(
        rate, False
    )


def _present(
    agency: Agency, direction: str, months: list[str], figures: Figures, vsp: bool
) -> ReferralReport:
    threshold = settings.REPORT_SMALL_CELL_THRESHOLD
    table = _Table(vsp, threshold)
    by_status, rate = _status_cells(table, figures)
    services = sorted(figures.by_service_type.items())
    partners = sorted(figures.by_partner.items(), key=lambda item: item[0][1])
    return ReferralReport(
        agency=agency,
        direction=direction,
        start=months[0],
        end=months[-1],
        generated_at=timezone.now(),
        suppressed=vsp,
        threshold=threshold,
        total=table.cells([("total", "All referrals", figures.total)])[0],
        by_status=by_status,
        by_service_type=table.cells([(c, service_type_info(c).label, n) for c, n in services]),
        by_partner_agency=table.cells([(pid, name, n) for (pid, name), n in partners]),
        by_month=table.cells([(m, m, n) for m, n in figures.by_month.items()]),
        median_hours_to_accept=table.figure(
            median(figures.hours_to_accept), len(figures.hours_to_accept)
        ),
        median_hours_to_close=table.figure(
            median(figures.hours_to_close), len(figures.hours_to_close)
        ),
        closed_loop_rate=rate,
    )


@transaction.atomic
def referral_report(*, actor: Actor, direction: str, start: str, end: str) -> ReferralReport:
    """The actor's agency's report for the months `start`..`end` ("YYYY-MM"); audited."""
    if not actor.has_role(*READERS) or actor.agency_id is None:
        raise PermissionDenied(
            "Reports are for supervisors, compliance officers and agency admins."
        )
    if direction not in (SENT, RECEIVED):
        raise ValidationFailed("direction must be sent or received.", field="direction")
    months = months_between(start, end)
    agency = Agency.objects.get(pk=actor.agency_id)
    rows = report_rows(agency_id=agency.id, direction=direction, bounds=_bounds(months))
    vsp = agency.is_victim_service_provider or any(r.involves_vsp for r in rows)
    if vsp and len(months) > 1:
        raise ValidationFailed(
            "Reports that count referrals involving a victim service provider cover one "
            "calendar month at a time.",
            field="end",
            code="vsp_report_one_month",
        )
    report = _present(agency, direction, months, figures_of(rows, months), vsp)
    audit_record(
        actor=actor,
        action="report.referrals",
        target=("agencies.agency", agency.id),
        target_agency_id=agency.id,
        reason=f"{direction}:{months[0]}:{months[-1]}{':suppressed' if vsp else ''}",
    )
    return report


def current_month(now: datetime | None = None) -> str:
    return (now or timezone.now()).strftime("%Y-%m")


__all__ = [
    "RECEIVED",
    "SENT",
    "Cell",
    "Figure",
    "ReferralReport",
    "current_month",
    "referral_report",
]
