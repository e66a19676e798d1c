"""The outcome figures of a set of referrals, before any suppression. Pure: rows in, numbers out.

A row is one sent referral: its status, service type, partner agency, when it was sent, first
accepted and first closed (a final status). Medians are in hours; the closed-loop rate is the
share of the sent referrals that reached a final status.
"""

from __future__ import annotations

import statistics
from collections import Counter
from dataclasses import dataclass
from datetime import datetime

from referrals.models import ReferralStatus as S

# Counted in the report (drafts were never sent; entered-in-error never happened).
STATUSES = (
    S.REQUESTED,
    S.ACCEPTED,
    S.IN_PROGRESS,
    S.ON_HOLD,
    S.COMPLETED,
    S.FAILED,
    S.REJECTED,
    S.CANCELLED,
    S.EXPIRED,
)
CLOSED = frozenset({S.COMPLETED, S.FAILED, S.REJECTED, S.CANCELLED, S.EXPIRED})


@dataclass(frozen=True)
class Row:
    status: str
    service_type: str
    partner_id: str
    partner_name: str
    involves_vsp: bool
    sent_at: datetime
    accepted_at: datetime | None
    closed_at: datetime | None


@dataclass(frozen=True)
class Figures:
    total: int
    by_status: dict[str, int]
    by_service_type: dict[str, int]
    by_partner: dict[tuple[str, str], int]  # (id, name) -> count
    by_month: dict[str, int]
    hours_to_accept: list[float]
    hours_to_close: list[float]

    @property
    def closed(self) -> int:
        return sum(n for status, n in self.by_status.items() if status in CLOSED)


def _hours(start: datetime, end: datetime | None) -> float | None:
    return None if end is None else (end - start).total_seconds() / 3600


def figures_of(rows: list[Row], months: list[str]) -> Figures:
    """Counts and durations of `rows`; `months` ("YYYY-MM") all appear in `by_month`."""
    accept = [_hours(r.sent_at, r.accepted_at) for r in rows]
    close = [_hours(r.sent_at, r.closed_at) for r in rows]
    by_month = Counter(r.sent_at.strftime("%Y-%m") for r in rows)
    return Figures(
        total=len(rows),
        by_status={s: sum(r.status == s for r in rows) for s in STATUSES},
        by_service_type=dict(Counter(r.service_type for r in rows)),
        by_partner=dict(Counter((r.partner_id, r.partner_name) for r in rows)),
        by_month={m: by_month.get(m, 0) for m in months},
        hours_to_accept=[h for h in accept if h is not None],
        hours_to_close=[h for h in close if h is not None],
    )


def median(values: list[float]) -> float | None:
    return round(statistics.median(values), 1) if values else None
