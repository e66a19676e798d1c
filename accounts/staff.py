"""Reading an agency's staff and integrations: case staff for assignment, and everything for
the agency's own administrator (the console's staff screens)."""

from __future__ import annotations

import uuid

from django.db.models import QuerySet

from accounts.models import Integration, User
from core.actor import Actor
from core.errors import NotFound, PermissionDenied
from core.roles import CASE_ROLES, Role


def case_staff_for(*, actor: Actor) -> QuerySet[User]:
    """Active caseworkers and supervisors of the actor's own agency (none without an agency)."""
    if actor.agency_id is None or actor.kind != "user":
        return User.objects.none()
    return User.objects.filter(
        agency_id=actor.agency_id, is_active=True, role__in=CASE_ROLES
    ).order_by("username")


def staff_admin_agency(actor: Actor) -> uuid.UUID:
    """The agency an agency admin runs; anyone else is refused (deny by default)."""
    if actor.agency_id is None or not actor.has_role(Role.AGENCY_ADMIN):
        raise PermissionDenied("Only an agency administrator manages staff and integrations.")
    return actor.agency_id


def staff_for(*, actor: Actor) -> QuerySet[User]:
    """Every user of the admin's own agency, by username."""
    return User.objects.filter(agency_id=staff_admin_agency(actor)).order_by("username")


def staff_member_get_for(*, actor: Actor, user_id: uuid.UUID) -> User:
    """One user of the admin's own agency; other agencies' users are a 404."""
    user = staff_for(actor=actor).filter(pk=user_id).first()
    if user is None:
        raise NotFound()
    return user


def integrations_for(*, actor: Actor) -> QuerySet[Integration]:
    """The partner integrations of the admin's own agency, newest first."""
    return Integration.objects.filter(agency_id=staff_admin_agency(actor)).order_by("-created_at")


def integration_get_for(*, actor: Actor, integration_id: uuid.UUID) -> Integration:
    integration = integrations_for(actor=actor).filter(pk=integration_id).first()
    if integration is None:
        raise NotFound()
    return integration
