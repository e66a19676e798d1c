"""A referral's status history (its timeline), for a party already scoped by `referral_get_for`.

Ids, statuses, agencies and times only: the sealed reasons stay sealed (the current status
reason comes with `referrals.reads.referral_read`, audited).
"""

from __future__ import annotations

from django.db.models import QuerySet

from referrals.models import Referral, ReferralTransition


def referral_history(*, referral: Referral) -> QuerySet[ReferralTransition]:
    """Every status change of `referral`, oldest first (one query with agency and user)."""
    return (
        ReferralTransition.objects.filter(referral=referral)
        .select_related("actor_agency", "actor_user")
        .defer("reason")
        .order_by("created_at", "id")
    )
