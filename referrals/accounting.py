"""Accounting of disclosures: who received which categories of a client, when, why, under what.

Derived from the audit log (`disclosure` events, matched by the client's pseudonym), so it
covers the log's whole retention (no time cut; at least six years) and survives erasure.
"""

from __future__ import annotations

import uuid

from django.db.models import QuerySet

from agencies.models import Agency
from audit.models import AuditEvent, Outcome
from audit.pseudonym import subject_ref
from audit.services import audit_record
from clients.models import Client
from core.actor import Actor
from core.errors import NotFound
from core.roles import Role, Scope

ACCOUNTING_ROLES = (Role.CASEWORKER, Role.SUPERVISOR, Role.COMPLIANCE_OFFICER)


def client_owned_get(*, actor: Actor, client_id: uuid.UUID) -> Client:
    """A client of the actor's agency, read without any PII (compliance officers may use it)."""
    if actor.agency_id is None or not actor.may(roles=ACCOUNTING_ROLES, scope=Scope.AUDIT_READ):
        raise NotFound()
    client = (
        Client.objects.only("id", "agency_id", "erased_at")
        .filter(pk=client_id, agency_id=actor.agency_id)
        .first()
    )
    if client is None:
        raise NotFound()
    return client


def disclosure_events(*, client: Client) -> QuerySet[AuditEvent]:
    """Disclosure events about this client, newest first (index: subject_ref, id)."""
    return AuditEvent.objects.filter(
        subject_ref=subject_ref(client.id), action="disclosure", outcome=Outcome.ALLOW
    ).only(
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
    )


def agency_names(events: list[AuditEvent]) -> dict[uuid.UUID, str]:
    """Recipient names for one page of events (one query)."""
    ids = {e.target_agency_id for e in events if e.target_agency_id}
    return dict(Agency.objects.filter(pk__in=ids).values_list("id", "name"))


def disclosures_viewed(*, actor: Actor, client: Client) -> None:
    """Audit that the actor looked at the client's accounting of disclosures."""
    audit_record(
        actor=actor,
        action="client.disclosures.read",
        target=client,
        subject_id=client.id,
        target_agency_id=client.agency_id,
    )
