"""A report's figures as cells, with the victim-service-provider rule applied when it must be.

Under the rule: every table is protected against its published total (`hide_small_cells`);
the status table's closed-loop rate also publishes the closed subtotal, so while the rate is
shown the open and closed groups are protected each on its own, and when a subtotal is small
or a group cannot be protected the rate is hidden instead. Medians of fewer than `threshold`
referrals are hidden. If any table cannot be protected, everything is hidden, the total too.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.utils import timezone

from agencies.models import Agency
from agencies.taxonomy import service_type_info
from referrals.models import ReferralStatus
from reports.figures import CLOSED, Figures, median
from reports.suppression import hide_grouped, hide_small_cells, is_small

Items = list[tuple[str, str, int]]  # (key, label, count)
TABLES = ("total", "by_status", "by_service_type", "by_partner_agency", "by_month")


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


def _tables(figures: Figures) -> dict[str, Items]:
    partners = sorted(figures.by_partner.items(), key=lambda item: item[0][1])
    return {
        "total": [("total", "All referrals", figures.total)],
        "by_status": [(s, ReferralStatus(s).label, n) for s, n in figures.by_status.items()],
        "by_service_type": [
            (c, service_type_info(c).label, n) for c, n in sorted(figures.by_service_type.items())
        ],
        "by_partner_agency": [(pid, name, n) for (pid, name), n in partners],
        "by_month": [(m, m, n) for m, n in figures.by_month.items()],
    }


def _status_plan(items: Items, figures: Figures, k: int) -> tuple[list[bool] | None, bool]:
    """The status table's hidden cells, and whether the closed-loop rate can be shown."""
    values = [n for _, _, n in items]
    closed = figures.closed
    if not (is_small(closed, threshold=k) or is_small(figures.total - closed, threshold=k)):
        groups = [int(key in CLOSED) for key, _, _ in items]
        grouped = hide_grouped(values, groups, threshold=k)
        if grouped is not None:
            return grouped, True
    return hide_small_cells(values, threshold=k), False


def _plan(tables: dict[str, Items], figures: Figures, k: int) -> tuple[dict[str, list[bool]], bool]:
    """Hidden cells per table and whether the rate is shown; all hidden if any table is unsafe."""
    status, rate_shown = _status_plan(tables["by_status"], figures, k)
    plans = {
        name: hide_small_cells([n for _, _, n in items], threshold=k)
        for name, items in tables.items()
        if name != "by_status"
    }
    plans["by_status"] = status
    if any(plan is None for plan in plans.values()):
        return {name: [True] * len(items) for name, items in tables.items()}, False
    return {name: plan for name, plan in plans.items() if plan is not None}, rate_shown


def present(
    *,
    agency: Agency,
    direction: str,
    months: list[str],
    figures: Figures,
    suppress: bool,
    threshold: int,
) -> ReferralReport:
    """The report as it may be shown: in full, or under the rule (`suppress`)."""
    tables = _tables(figures)
    rate = round(figures.closed / figures.total, 3) if figures.total else None
    if suppress:
        hidden, rate_shown = _plan(tables, figures, threshold)
        everything = all(hidden["total"])
    else:
        hidden = {name: [False] * len(items) for name, items in tables.items()}
        rate_shown, everything = True, False
    marker = f"<{threshold}"

    def cells(name: str) -> list[Cell]:
        pairs = zip(tables[name], hidden[name], strict=True)
        return [Cell(key, label, None if h else n, marker) for (key, label, n), h in pairs]

    def figure(values: list[float]) -> Figure:
        hide = suppress and (everything or len(values) < threshold)
        return Figure(None if hide else median(values), hide)

    return ReferralReport(
        agency=agency,
        direction=direction,
        start=months[0],
        end=months[-1],
        generated_at=timezone.now(),
        suppressed=suppress,
        threshold=threshold,
        total=cells("total")[0],
        by_status=cells("by_status"),
        by_service_type=cells("by_service_type"),
        by_partner_agency=cells("by_partner_agency"),
        by_month=cells("by_month"),
        median_hours_to_accept=figure(figures.hours_to_accept),
        median_hours_to_close=figure(figures.hours_to_close),
        closed_loop_rate=Figure(rate if rate_shown else None, not rate_shown),
    )
