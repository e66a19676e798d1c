"""What a referral's priority means: its response deadline, its reminder cadence, its rank.

| priority | respond within (default)             | first reminder | then every (default) |
|----------|--------------------------------------|----------------|----------------------|
| stat     | REFERRAL_RESPONSE_HOURS_STAT (4 h)   | 2 h before     | 1 h                  |
| asap     | REFERRAL_RESPONSE_HOURS_ASAP (24 h)  | 12 h before    | 4 h                  |
| urgent   | REFERRAL_RESPONSE_HOURS_URGENT (72 h)| 36 h before    | 12 h                 |
| routine  | REFERRAL_RESPONSE_DAYS (10 days)     | 48 h before    | 24 h                 |

"Then every" is REFERRAL_REMIND_EVERY_HOURS_<PRIORITY>.
The first reminder goes out REFERRAL_REMINDER_HOURS (48) before the deadline, or at half the
priority's window when that is shorter. A recipient program's own `response_days` shortens the
deadline, never lengthens it: a stat referral stays stat.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Case, IntegerField, Value, When

from agencies.models import Program
from referrals.models import Priority

# Most pressing first (the inbox's order).
RANK = {Priority.STAT: 0, Priority.ASAP: 1, Priority.URGENT: 2, Priority.ROUTINE: 3}


@dataclass(frozen=True)
class Cadence:
    respond_within: timedelta
    first_reminder: timedelta  # before the deadline
    remind_every: timedelta


def _window(priority: str) -> timedelta:
    if priority == Priority.ROUTINE:
        return timedelta(days=settings.REFERRAL_RESPONSE_DAYS)
    return timedelta(hours=getattr(settings, f"REFERRAL_RESPONSE_HOURS_{priority.upper()}"))


def cadence_for(priority: str) -> Cadence:
    """The configured cadence of `priority` (settings are read on each call)."""
    if priority not in Priority.values:
        raise ValueError(f"unknown priority {priority!r}")
    window = _window(priority)
    first = min(timedelta(hours=settings.REFERRAL_REMINDER_HOURS), window / 2)
    every = timedelta(hours=getattr(settings, f"REFERRAL_REMIND_EVERY_HOURS_{priority.upper()}"))
    return Cadence(respond_within=window, first_reminder=first, remind_every=every)


def response_deadline_for(*, priority: str, program: Program | None, at: datetime) -> datetime:
    """`at` + the priority's window, or the program's `response_days` when that is sooner."""
    window = cadence_for(priority).respond_within
    if program is not None and program.response_days:
        window = min(window, timedelta(days=program.response_days))
    return at + window


def priority_rank() -> Case:
    """`RANK` as a query expression, for ordering (stat first)."""
    whens = [When(priority=p, then=Value(rank)) for p, rank in RANK.items()]
    return Case(*whens, default=Value(len(RANK)), output_field=IntegerField())
