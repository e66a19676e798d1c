"""Reading the audit trail, scoped to the caller's agency: what it did, what was done to its data,
and what concerns the referrals sent to it (DESIGN §6, "Owner visibility"; audit/owner.py)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import datetime
from typing import Any

from django.db.models import Q, QuerySet
from django.db.models.query import ModelIterable

from audit.actions import ACTIONS, known_actions
from audit.mac import event_intact
from audit.models import AuditEvent
from audit.owner import client_owner
from audit.pseudonym import subject_refs, viewer_ref
from core.actor import Actor
from core.errors import PermissionDenied, ValidationFailed
from core.roles import Role, Scope

AUDIT_ROLES = (Role.COMPLIANCE_OFFICER,)


def audit_agency_of(actor: Actor) -> uuid.UUID:
    """The agency whose trail `actor` may read; compliance officers and `audit:read` only."""
    if not actor.may(roles=AUDIT_ROLES, scope=Scope.AUDIT_READ) or actor.agency_id is None:
        raise PermissionDenied("Only compliance officers (or `audit:read` integrations) may.")
    return actor.agency_id


def visible_to(agency_id: uuid.UUID) -> Q:
    """The one visibility rule: events the agency did (its chain), events on data it owns (its
    clients, their consents and referrals; by anyone, refusals included), and events about
    referrals actually sent to it. Being only named (`target_agency_id`: a consent's recipient,
    the addressee of a refused referral) shows nothing. A refused probe of another agency's data
    is two events (audit/owner.py, rule 4): the prober's, on its chain, naming no owner; and the
    owner's copy on the `platform` chain, which the prober's agency does not see."""
    own = Q(chain=str(agency_id))  # = actor_agency_id, except the owners' copies of probes
    return own | Q(subject_agency_id=agency_id) | Q(shared_agency_id=agency_id)


class _ShownTo(ModelIterable):  # type: ignore[type-arg]
    """Rows as one agency is shown them: `intact` says whether the row is what the application
    wrote (its MAC over the stored values, audit/mac.py: an edit is flagged where it is read,
    not only by a verification run), then `subject_ref` becomes that agency's own pseudonym."""

    viewer: uuid.UUID | None = None

    def __iter__(self) -> Iterator[Any]:
        for event in super().__iter__():
            event.intact = event_intact(event)  # over the stored pseudonym, before it is replaced
            event.subject_ref = viewer_ref(
                event.subject_ref,
                subject_agency_id=event.subject_agency_id,
                viewer_agency_id=self.viewer,
            )
            yield event


def shown_to(qs: QuerySet[AuditEvent], agency_id: uuid.UUID) -> QuerySet[AuditEvent]:
    """`qs` yielding rows with the viewer's pseudonyms (kept through filter, order and slicing;
    `values()` drops it, so aggregates never see pseudonyms at all)."""
    qs = qs.all()
    qs._iterable_class = type("ShownTo", (_ShownTo,), {"viewer": agency_id})
    return qs


def client_subject_refs(client_id: uuid.UUID) -> list[str]:
    """The stored pseudonyms of a client (any agency's: the filter matches nothing unless the
    caller may see events about it)."""
    return subject_refs(client_id, agency_id=client_owner(client_id))


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
    """Events visible to the caller's agency (`visible_to`), newest first by global id, with
    the caller's own pseudonyms."""
    agency = audit_agency_of(actor)
    if action and action not in ACTIONS:
        # A typo must not read as "nobody did it": refuse, naming the known actions.
        raise ValidationFailed(
            f"Unknown action {action[:64]!r}.", field="action", known_actions=known_actions()
        )
    qs = AuditEvent.objects.filter(visible_to(agency))
    exact = {
        "action": action,
        "actor_id": actor_id,
        "object_type": object_type,
        "object_id": object_id,
        "outcome": outcome,
        "subject_ref__in": client_subject_refs(client_id) if client_id else None,
        "occurred_at__gte": occurred_from,
        "occurred_at__lt": occurred_to,
    }
    qs = qs.filter(**{k: v for k, v in exact.items() if v not in (None, "")})
    return shown_to(qs.defer("canonical").order_by("-id"), agency)


def audit_foreign_events_for(agency_id: uuid.UUID) -> QuerySet[AuditEvent]:
    """Events of OTHER agencies' chains that `agency_id` may see (an export's second set): the
    reads, disclosures, transitions, messages and refusals on its data, and the events of
    referrals sent to it."""
    return AuditEvent.objects.filter(visible_to(agency_id)).exclude(chain=str(agency_id))
