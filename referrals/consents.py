"""The consent a referral is sent under: in effect, this client's, to this recipient, fitting.

Asked when a referral is created, when a draft is sent and when a consent is attached, through
`consent.policy.decide` (the one decision, also asked by every read). The consent row is locked
until commit: a revocation racing the write either waits and then sees the referral (and
tells the recipient), or wins and the write answers `consent_required`.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from agencies.models import Agency
from clients.fields import COLUMNS
from clients.models import Client
from clients.selectors import REFER
from consent.models import Consent
from consent.policy import NO_CATEGORIES, PERMITTED, PURPOSE_MISMATCH, decide
from consent.purposes import purpose_check
from core.actor import Actor
from core.errors import Conflict
from core.joined import Joined


def consent_for_referral(
    *,
    client_id: uuid.UUID,
    recipient_id: uuid.UUID,
    consent_id: uuid.UUID,
    service_type: str,
    at: datetime,
) -> Consent:
    """The consent, locked; else 409 `consent_required` or `purpose_mismatch`."""
    consent = (
        Consent.objects.select_for_update(of=("self",))
        .select_related("client", "recipient_agency")
        .filter(pk=consent_id, client_id=client_id)
        .first()
    )
    if consent is None or consent.recipient_agency_id != recipient_id:
        raise _consent_required()
    consent_check(consent=consent, service_type=service_type, at=at)
    return consent


def consent_check(*, consent: Consent, service_type: str, at: datetime) -> None:
    """`decide` for a referral about to be sent under `consent` (its client and recipient
    already fetched); 409 unless it governs."""
    reason = decide(consent=consent, service_type=service_type, at=at).reason
    if reason == PURPOSE_MISMATCH:
        purpose_check(purpose=consent.purpose, service_type=service_type)
    if reason not in (PERMITTED, NO_CATEGORIES):
        raise _consent_required()


def _consent_required() -> Conflict:
    return Conflict(
        "An active consent from this client to this recipient is required.",
        code="consent_required",
    )


@dataclass(frozen=True)
class Parties:
    """What a create needs, from one statement: the client (ids and wrapped key; the sender
    agency cached on it), the recipient and the locked consent."""

    client: Client
    recipient: Agency
    consent: Consent


# The consent, locked, with its client (ids, the wrapped key, the client's agency: the sender)
# and its recipient: one statement built once from the models (`core.joined`).
_PARTIES = Joined(
    Consent,
    "client",
    "client__data_key",
    "client__agency",
    "recipient_agency",
    where=("pk", "client", "client__agency"),
    defer={"client": (*COLUMNS, "search_index", "name_index")},
    lock=("",),
)


def referral_parties(
    *,
    actor: Actor,
    client_id: uuid.UUID,
    recipient_id: uuid.UUID,
    consent_id: uuid.UUID,
    service_type: str,
    at: datetime,
) -> Parties | None:
    """The create's lookup in one statement, when everything is in order: the actor's own
    live client, another active agency as recipient, and a consent `decide` says governs.
    None otherwise: the caller then checks step by step, for the exact refusal."""
    agency_id = actor.agency_id
    if agency_id is None or not actor.may(roles=REFER.roles, scope=REFER.scope):
        return None
    consent = _PARTIES.fetch(consent_id, client_id, agency_id)
    if consent is None or consent.recipient_agency_id != recipient_id:
        return None
    client, recipient = consent.client, consent.recipient_agency
    if client.erased_at is not None or not recipient.is_active or recipient.pk == agency_id:
        return None
    reason = decide(consent=consent, service_type=service_type, at=at).reason
    if reason not in (PERMITTED, NO_CATEGORIES):
        return None
    return Parties(client, recipient, consent)
