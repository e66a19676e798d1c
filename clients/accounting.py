"""Accounting of disclosures: who received which categories of a client, when, why, under what.

Every recipient read that shows survivor data is one `disclosure` event: the referral detail,
a list item's display name, the messages or the status reasons the sender wrote (`via`).

Derived from the audit log (`disclosure` events, matched by the client's pseudonym), so it
covers the log's whole retention (no time cut; at least six years) and survives erasure.
The client is reached through `clients.selectors` with the `ACCOUNTING` need (compliance
officers too; no column that could hold PII is loaded).
"""

from __future__ import annotations

import uuid
from typing import Any

from django.db.models import QuerySet

from agencies.models import Agency
from audit.models import AuditEvent, Outcome
from audit.pseudonym import subject_refs
from audit.services import audit_record
from clients.selectors import ACCOUNTING, client_get_for
from core.actor import Actor

SHOWN = (
    "id",
    "event_id",
    "occurred_at",
    "target_agency_id",
    "categories",
    "purpose",
    "consent_id",
    "object_id",
    "actor_role",
    "actor_kind",
    "reason",
)
# What a `disclosure` event's reason says was shown (events before messages counted: detail).
VIA = {"list": "list", "messages": "messages", "history": "history"}


def disclosures_qs_for(*, actor: Actor, client_id: uuid.UUID) -> QuerySet[AuditEvent]:
    """Disclosure events about one client of the actor's agency, newest first; else 404.

    Index: (subject_ref, id). The caller paginates, then renders a page with `disclosures_read`.
    """
    client = client_get_for(actor=actor, client_id=client_id, need=ACCOUNTING)
    refs = subject_refs(client.id, agency_id=client.agency_id)
    return AuditEvent.objects.filter(
        subject_ref__in=refs, action="disclosure", outcome=Outcome.ALLOW
    ).only(*SHOWN)


def _agency_names(events: list[AuditEvent]) -> dict[uuid.UUID, str]:
    """Recipient names for one page of events (one query)."""
    ids = {e.target_agency_id for e in events if e.target_agency_id}
    return dict(Agency.objects.filter(pk__in=ids).values_list("id", "name"))


def _entry(event: AuditEvent, names: dict[uuid.UUID, str]) -> dict[str, Any]:
    recipient = event.target_agency_id
    name = names.get(recipient, "") if recipient else ""
    return {
        "event_id": event.event_id,
        "occurred_at": event.occurred_at,
        "recipient_agency_id": recipient,
        "recipient_agency": {"id": recipient, "name": name},
        "categories": event.categories,
        "purpose": event.purpose,
        "consent_id": event.consent_id,
        "referral_id": event.object_id or None,
        "actor_role": event.actor_role,
        "via": VIA.get(event.reason, "referral"),
    }


def disclosures_read(
    *, actor: Actor, client_id: uuid.UUID, events: list[AuditEvent]
) -> list[dict[str, Any]]:
    """One page of the accounting (recipients named), audited as `client.disclosures.read`."""
    names = _agency_names(events)
    audit_record(
        actor=actor,
        action="client.disclosures.read",
        target=("clients.client", client_id),
        subject_id=client_id,
        target_agency_id=actor.agency_id,
    )
    return [_entry(event, names) for event in events]
