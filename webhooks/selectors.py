"""Reads, scoped to the actor's agency and gated to its webhook managers (else NotFound).

Managers are agency admins, or integrations holding `webhooks:write`; the API's permission
class and the services use the same gate (`MANAGER_ROLES`, `MANAGER_SCOPE`, `may_manage`).
"""

from __future__ import annotations

import uuid

from django.db.models import Prefetch, QuerySet

from core.actor import Actor
from core.errors import NotFound
from core.roles import Role, Scope
from webhooks.models import Delivery, DeliveryAttempt, Subscription

ATTEMPTS_SHOWN = 10
MANAGER_ROLES = frozenset({Role.AGENCY_ADMIN})
MANAGER_SCOPE = Scope.WEBHOOKS_WRITE


def may_manage(actor: Actor) -> bool:
    """True for an agency admin, or an integration with `webhooks:write`, of some agency."""
    return actor.agency_id is not None and actor.may(roles=MANAGER_ROLES, scope=MANAGER_SCOPE)


def subscription_qs_for(*, actor: Actor) -> QuerySet[Subscription]:
    """The subscriptions of the actor's agency, for its webhook managers; else none."""
    if actor.agency_id is None or not may_manage(actor):
        return Subscription.objects.none()
    return Subscription.objects.filter(agency_id=actor.agency_id)


def subscription_get_for(*, actor: Actor, subscription_id: uuid.UUID) -> Subscription:
    found = subscription_qs_for(actor=actor).filter(id=subscription_id).first()
    if found is None:
        raise NotFound()
    return found


def delivery_qs_for(*, actor: Actor, subscription: Subscription) -> QuerySet[Delivery]:
    """Deliveries of one (already scoped) subscription, each with its attempts."""
    if actor.agency_id is None or not may_manage(actor):
        return Delivery.objects.none()
    return _with_attempts(
        Delivery.objects.filter(subscription=subscription, subscription__agency_id=actor.agency_id)
    )


def _with_attempts(qs: QuerySet[Delivery]) -> QuerySet[Delivery]:
    """Each delivery's latest attempts as `recent_attempts` (one extra query per page)."""
    attempts = DeliveryAttempt.objects.order_by("-id")[:ATTEMPTS_SHOWN]
    return qs.select_related("event").prefetch_related(
        Prefetch("attempts", queryset=attempts, to_attr="recent_attempts")
    )


def delivery_with_attempts(*, actor: Actor, delivery_id: uuid.UUID) -> Delivery:
    """One delivery of the actor's agency, rendered with its latest attempts."""
    if actor.agency_id is None or not may_manage(actor):
        raise NotFound()
    qs = Delivery.objects.filter(id=delivery_id, subscription__agency_id=actor.agency_id)
    found = _with_attempts(qs).first()
    if found is None:
        raise NotFound()
    return found


def delivery_get_for(*, actor: Actor, delivery_id: uuid.UUID) -> Delivery:
    """One delivery of the actor's agency (for redelivery), else 404."""
    if actor.agency_id is None or not may_manage(actor):
        raise NotFound()
    found = (
        Delivery.objects.select_related("subscription", "event")
        .filter(id=delivery_id, subscription__agency_id=actor.agency_id)
        .first()
    )
    if found is None:
        raise NotFound()
    return found
