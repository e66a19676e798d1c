"""The referral outcome report of one agency: counts, medians, the closed-loop rate.

Aggregates only, for supervisors, compliance officers and agency admins (no client data ever).
When any referral counted involves a victim service provider (either party), the report is
suppressed as a whole (reports/suppression.py) and covers one calendar month at a time, so
overlapping periods cannot be subtracted from one another to reveal a hidden cell.
"""

from __future__ import annotations

from datetime import date, datetime

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from agencies.models import Agency
from audit.services import audit_record
from core.actor import Actor
from core.errors import PermissionDenied, ValidationFailed
from core.roles import Role
from reports.figures import figures_of
from reports.presentation import Cell, Figure, ReferralReport, present
from reports.rows import RECEIVED, SENT, report_rows

READERS = (Role.SUPERVISOR, Role.COMPLIANCE_OFFICER, Role.AGENCY_ADMIN)
MAX_MONTHS = 12


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
    report = present(
        agency=agency,
        direction=direction,
        months=months,
        figures=figures_of(rows, months),
        suppress=vsp,
        threshold=settings.REPORT_SMALL_CELL_THRESHOLD,
    )
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
