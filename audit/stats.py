"""Counts for the compliance charts, over the caller's own scoped trail (`audit_event_list_for`).

Aggregates only: no event row leaves here. Same scoping as the events list, so a chart never
counts an event its reader could not list. Disclosures are counted for the caller's OWN clients
(`subject_agency_id`): who received its data, by whichever agency's chain recorded the read.
"""

from __future__ import annotations

import datetime
import uuid
from collections import defaultdict

from django.db.models import Count
from django.db.models.functions import TruncDate

from audit.selectors import audit_agency_of, audit_event_list_for
from core.actor import Actor


def events_per_day(
    *, actor: Actor, since: datetime.datetime, until: datetime.datetime
) -> dict[datetime.date, dict[str, int]]:
    """{day: {outcome: count}} for events in [since, until), days without events left out."""
    rows = (
        audit_event_list_for(actor=actor, occurred_from=since, occurred_to=until)
        .order_by()
        .annotate(day=TruncDate("occurred_at"))
        .values("day", "outcome")
        .annotate(n=Count("id"))
    )
    days: dict[datetime.date, dict[str, int]] = defaultdict(dict)
    for row in rows:
        days[row["day"]][row["outcome"]] = row["n"]
    return dict(days)


def disclosures_per_recipient(
    *, actor: Actor, since: datetime.datetime, until: datetime.datetime
) -> dict[uuid.UUID, int]:
    """{recipient agency id: disclosures of the caller's clients} in [since, until), largest
    first (a recipient's own reads of other agencies' clients are not its disclosures)."""
    rows = (
        audit_event_list_for(
            actor=actor, action="disclosure", occurred_from=since, occurred_to=until
        )
        .filter(subject_agency_id=audit_agency_of(actor))
        .order_by()
        .exclude(target_agency_id=None)
        .values("target_agency_id")
        .annotate(n=Count("id"))
        .order_by("-n")
    )
    return {row["target_agency_id"]: row["n"] for row in rows if row["target_agency_id"]}


def actions_seen(*, actor: Actor) -> list[str]:
    """The actions present in the caller's trail (the events filter's choices)."""
    rows = audit_event_list_for(actor=actor).order_by().values_list("action", flat=True)
    return sorted(set(rows.distinct()))
