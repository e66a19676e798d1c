"""Reading an agency's case staff (who a supervisor may assign a referral to)."""

from __future__ import annotations

from django.db.models import QuerySet

from accounts.models import User
from core.actor import Actor
from core.roles import CASE_ROLES


def case_staff_for(*, actor: Actor) -> QuerySet[User]:
    """Active caseworkers and supervisors of the actor's own agency (none without an agency)."""
    if actor.agency_id is None or actor.kind != "user":
        return User.objects.none()
    return User.objects.filter(
        agency_id=actor.agency_id, is_active=True, role__in=CASE_ROLES
    ).order_by("username")
