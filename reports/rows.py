"""The rows a referral report counts: one per sent referral, ids and enums and times only."""

from __future__ import annotations

import uuid
from datetime import datetime

from django.db.models import OuterRef, Q, Subquery

from referrals.models import Referral, ReferralStatus, ReferralTransition
from referrals.selectors import INBOX, OUTBOX, agency_referrals_q
from reports.figures import CLOSED, Row

SENT = "sent"
RECEIVED = "received"


def _first(statuses: list[str]) -> Subquery:
    """When the referral first entered one of `statuses`."""
    moves = ReferralTransition.objects.filter(referral=OuterRef("pk"), to_status__in=statuses)
    return Subquery(moves.order_by("created_at").values("created_at")[:1])


def report_rows(
    *, agency_id: uuid.UUID, direction: str, bounds: tuple[datetime, datetime]
) -> list[Row]:
    """Referrals the agency sent (or received) that were sent within `bounds`: one query.

    Drafts never sent and referrals marked entered-in-error are not counted.
    """
    box, partner = (OUTBOX, "recipient_agency") if direction == SENT else (INBOX, "sender_agency")
    qs = (
        Referral.objects.filter(agency_referrals_q(agency_id, box))
        .exclude(status__in=[ReferralStatus.DRAFT, ReferralStatus.ENTERED_IN_ERROR])
        .annotate(
            sent_at=_first([ReferralStatus.REQUESTED]),
            accepted_at=_first([ReferralStatus.ACCEPTED]),
            closed_at=_first(sorted(CLOSED)),
        )
        .filter(Q(sent_at__gte=bounds[0]) & Q(sent_at__lt=bounds[1]))
        .values_list(
            "status",
            "service_type",
            f"{partner}_id",
            f"{partner}__name",
            "sender_agency__is_victim_service_provider",
            "recipient_agency__is_victim_service_provider",
            "sent_at",
            "accepted_at",
            "closed_at",
        )
    )
    return [
        Row(status, service, str(pid), name, s_vsp or r_vsp, sent, accepted, closed)
        for status, service, pid, name, s_vsp, r_vsp, sent, accepted, closed in qs
    ]
