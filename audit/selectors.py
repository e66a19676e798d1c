"""Reading the audit trail: scoped to the caller's agency (as actor OR as target)."""

from __future__ import annotations

import uuid
from datetime import datetime

from django.db.models import Q, QuerySet

from audit.actions import ACTIONS, known_actions
from audit.models import AuditEvent
from audit.pseudonym import subject_ref
from core.actor import Actor
from core.errors import PermissionDenied, ValidationFailed
from core.roles import Role, Scope

AUDIT_ROLES = (Role.COMPLIANCE_OFFICER,)


def audit_agency_of(actor: Actor) -> uuid.UUID:
    """The agency whose trail `actor` may read; compliance officers and `audit:read` only."""
    if not actor.may(roles=AUDIT_ROLES, scope=Scope.AUDIT_READ) or actor.agency_id is None:
        raise PermissionDenied("Only compliance officers (or `audit:read` integrations) may.")
    return actor.agency_id


def audit_event_list_for(
    *,
    actor: Actor,
    action: str | None = None,
    actor_id: str | None = None,
    object_type: str | None = None,
    object_id: str | None = None,
    client_id: uuid.UUID | None = None,
    outcome: str | None = None,
    occurred_from: datetime | None = None,
    occurred_to: datetime | None = None,
) -> QuerySet[AuditEvent]:
    """Events the caller's agency did, or that were done to it; newest first by global id."""
    agency = audit_agency_of(actor)
    if action and action not in ACTIONS:
        # A typo must not read as "nobody did it": refuse, naming the known actions.
        raise ValidationFailed(
            f"Unknown action {action[:64]!r}.", field="action", known_actions=known_actions()
        )
    qs = AuditEvent.objects.filter(Q(actor_agency_id=agency) | Q(target_agency_id=agency))
    exact = {
        "action": action,
        "actor_id": actor_id,
        "object_type": object_type,
        "object_id": object_id,
        "outcome": outcome,
        "subject_ref": subject_ref(client_id) if client_id else None,
        "occurred_at__gte": occurred_from,
        "occurred_at__lt": occurred_to,
    }
    qs = qs.filter(**{k: v for k, v in exact.items() if v not in (None, "")})
    return qs.defer("canonical").order_by("-id")
