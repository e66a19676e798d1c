"""Reading consents: the client's own agency sees them; a recipient sees only what it relies on."""

from __future__ import annotations

import uuid

from django.db.models import QuerySet
from django.utils import timezone

from clients.models import Client
from consent import recipients
from consent.models import Consent, ConsentStatus
from consent.policy import consent_shown_status_q
from core.actor import Actor
from core.errors import NotFound, ValidationFailed
from core.roles import CASE_ROLES, Scope


def consent_qs_for_client(*, client: Client) -> QuerySet[Consent]:
    """Consents of a client already scoped by `clients.selectors.client_get_for`."""
    return (
        Consent.objects.filter(client=client)
        .select_related("client", "recipient_agency")
        .prefetch_related("history")
    )


def _owner_may_read(actor: Actor) -> bool:
    """Case roles; integrations reading clients or writing consent (which may see its own)."""
    return actor.may(roles=CASE_ROLES, scope=Scope.CLIENTS_READ) or actor.may(
        roles=CASE_ROLES, scope=Scope.CONSENT_WRITE
    )


def _recipient_may_read(actor: Actor) -> bool:
    return actor.may(roles=CASE_ROLES, scope=Scope.CLIENTS_READ) or actor.may(
        roles=CASE_ROLES, scope=Scope.REFERRALS_READ
    )


def consent_get_for(*, actor: Actor, consent_id: uuid.UUID) -> Consent:
    """One consent: the client's agency, or a recipient a referral relies on; otherwise 404."""
    consent = (
        Consent.objects.select_related("client", "recipient_agency")
        .prefetch_related("history")
        .filter(pk=consent_id)
        .first()
    )
    if consent is None or actor.agency_id is None:
        raise NotFound()
    if consent.client.agency_id == actor.agency_id and _owner_may_read(actor):
        return consent
    if (
        consent.recipient_agency_id == actor.agency_id
        and _recipient_may_read(actor)
        and recipients.recipient_relies_on(consent, actor.agency_id)
    ):
        return consent
    raise NotFound()


def consent_shows_detail(*, actor: Actor, consent: Consent) -> bool:
    """Only the client's own agency sees survivor free text (purpose detail, revoke reason)."""
    return consent.client.agency_id == actor.agency_id and _owner_may_read(actor)


def consent_get_for_revoke(*, actor: Actor, consent_id: uuid.UUID) -> Consent:
    """A consent the actor's agency recorded for its own client (recipients get 404)."""
    consent = Consent.objects.select_related("client").filter(pk=consent_id).first()
    if consent is None or actor.agency_id is None or consent.client.agency_id != actor.agency_id:
        raise NotFound()
    if not actor.may(roles=CASE_ROLES, scope=Scope.CONSENT_WRITE):
        raise NotFound()
    return consent


def consent_filter(rows: QuerySet[Consent], **params: str) -> QuerySet[Consent]:
    """`status` (as shown: expiry by time counts) and `recipient_agency_id` list filters."""
    wanted = params.get("status")
    if wanted in ConsentStatus.values:
        rows = rows.filter(consent_shown_status_q(wanted, timezone.now()))
    elif wanted:
        raise ValidationFailed("Unknown status.", field="status")
    recipient = params.get("recipient_agency_id")
    if recipient:
        try:
            rows = rows.filter(recipient_agency_id=uuid.UUID(recipient))
        except ValueError:
            raise ValidationFailed("Not a UUID.", field="recipient_agency_id") from None
    return rows


def consent_owner_row(consent_id: uuid.UUID, using: str) -> Consent | None:
    """Unscoped, for the audit trail's owner rules only (audit/owner.py): ids, no sealed text."""
    return (
        Consent.objects.using(using)
        .only("id", "agency_id", "client_id", "recipient_agency_id")
        .filter(pk=consent_id)
        .first()
    )
