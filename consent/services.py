"""Recording consent: grant, refusal, revocation and expiry bookkeeping. Every call is audited."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from django.db import transaction
from django.utils import timezone

from audit.services import audit_record
from clients.models import Client
from consent import recipients, rules
from consent.models import Consent, ConsentStatus, ConsentStatusChange
from consent.policy import consent_state
from core.actor import Actor
from core.errors import CLIENT_ERASED, Conflict, NotFound, ValidationFailed
from core.roles import CASE_ROLES, Scope
from crypto.service import seal_text

REVOKE_REASON_MAX = 1000
EXPIRE_BATCH = 500


@dataclass(frozen=True)
class ConsentTerms:
    """What the client agreed to (or refused), as captured by the recorder."""

    recipient_agency_id: uuid.UUID
    categories: tuple[str, ...] | list[str]
    purpose: str
    method: str
    signed_by: str
    signer_relationship: str | None = None
    purpose_detail: str = ""
    valid_from: datetime | None = None
    expires_at: datetime | None = None
    informed: bool = False
    evidence_sha256: str = ""
    special_categories_acknowledged: bool = False


def _require_recorder(actor: Actor, client: Client) -> None:
    """Case roles (or `consent:write` integrations) of the client's own agency; else 404."""
    if actor.agency_id != client.agency_id or not actor.may(
        roles=CASE_ROLES, scope=Scope.CONSENT_WRITE
    ):
        raise NotFound()
    if client.erased_at is not None:
        raise Conflict("The client record has been erased.", code=CLIENT_ERASED)


def _history(consent: Consent, actor: Actor, *, from_status: str, reason: str) -> None:
    ConsentStatusChange.objects.create(
        consent=consent,
        from_status=from_status,
        to_status=consent.status,
        reason=reason,
        actor_kind=actor.kind,
        actor_id=str(actor.id or actor.username or "")[:64],
        actor_agency_id=actor.agency_id,
    )


def _audit(actor: Actor, consent: Consent, action: str, reason: str = "") -> None:
    audit_record(
        actor=actor,
        action=action,
        target=consent,
        subject_id=consent.client_id,
        target_agency_id=consent.recipient_agency_id,
        purpose=consent.purpose,
        consent_id=consent.pk,
        categories=consent.categories,
        reason=reason,
    )


def _record(*, actor: Actor, client: Client, terms: ConsentTerms, status: str) -> Consent:
    """Validate the shared terms and insert the row (not yet audited)."""
    recipient = rules.clean_recipient(client=client, recipient_agency_id=terms.recipient_agency_id)
    acknowledged = terms.special_categories_acknowledged or status == ConsentStatus.REFUSED
    categories = rules.clean_categories(terms.categories, acknowledged=acknowledged)
    relationship = rules.clean_signer(
        signed_by=terms.signed_by, signer_relationship=terms.signer_relationship
    )
    evidence = rules.clean_terms(
        purpose=terms.purpose,
        method=terms.method,
        purpose_detail=terms.purpose_detail,
        evidence_sha256=terms.evidence_sha256,
    )
    consent = Consent(
        client=client,
        agency_id=client.agency_id,
        recorded_by_id=actor.user_id,
        recorded_by_integration_id=actor.integration_id,
        recipient_agency=recipient,
        categories=categories,
        purpose=terms.purpose,
        method=terms.method,
        signed_by=terms.signed_by,
        signer_relationship=relationship,
        informed=terms.informed,
        evidence_sha256=evidence,
        special_categories_acknowledged=terms.special_categories_acknowledged,
        status=status,
    )
    consent.purpose_detail_sealed = seal_text(
        client=client, row=consent, column="purpose_detail", value=terms.purpose_detail
    )
    return consent


@transaction.atomic
def consent_grant(*, actor: Actor, client: Client, terms: ConsentTerms) -> Consent:
    """Record an informed, specific, time-limited release to one recipient agency."""
    _require_recorder(actor, client)
    now = timezone.now()
    valid_from = terms.valid_from or now
    rules.clean_period(valid_from=valid_from, expires_at=terms.expires_at, now=now)
    if not terms.informed:
        raise ValidationFailed(
            "A consent is valid only once the client has been informed (informed: true).",
            field="informed",
            code="consent_not_informed",
        )
    consent = _record(actor=actor, client=client, terms=terms, status=ConsentStatus.ACTIVE)
    consent.valid_from, consent.expires_at = valid_from, terms.expires_at
    consent.save(force_insert=True)
    _history(consent, actor, from_status="", reason="granted")
    _audit(actor, consent, "consent.grant")
    return consent


@transaction.atomic
def consent_refuse(*, actor: Actor, client: Client, terms: ConsentTerms) -> Consent:
    """Record that the client declined a release. It permits nothing and blocks nothing."""
    _require_recorder(actor, client)
    consent = _record(actor=actor, client=client, terms=terms, status=ConsentStatus.REFUSED)
    consent.valid_from, consent.expires_at = timezone.now(), None
    consent.save(force_insert=True)
    _history(consent, actor, from_status="", reason="refused")
    _audit(actor, consent, "consent.refuse")
    return consent


@transaction.atomic
def consent_revoke(*, actor: Actor, consent: Consent, reason: str) -> Consent:
    """Stop a consent now; tell recipients holding referrals under it through the outbox."""
    consent = Consent.objects.select_for_update().select_related("client").get(pk=consent.pk)
    _require_recorder(actor, consent.client)
    reason = (reason or "").strip()
    if not reason or len(reason) > REVOKE_REASON_MAX:
        raise ValidationFailed(f"Give a reason (1-{REVOKE_REASON_MAX} characters).", field="reason")
    now = timezone.now()
    state = consent_state(consent, now)
    if consent.status != ConsentStatus.ACTIVE or state == "expired":
        raise Conflict(
            "Only an active consent can be revoked.",
            code="illegal_transition",
            status_now=state,
            allowed=[],
        )
    consent.status, consent.revoked_at = ConsentStatus.REVOKED, now
    consent.revoked_by_id, consent.revoked_by_integration_id = actor.user_id, actor.integration_id
    consent.revoke_reason_sealed = seal_text(
        client=consent.client, row=consent, column="revoke_reason", value=reason
    )
    consent.save(
        update_fields=[
            "status",
            "revoked_at",
            "revoked_by",
            "revoked_by_integration",
            "revoke_reason_sealed",
            "updated_at",
        ]
    )
    _history(consent, actor, from_status=ConsentStatus.ACTIVE, reason="revoked")
    recipients.notify_ended(consent, cause="revoked", at=now)
    _audit(actor, consent, "consent.revoke")
    return consent


def consent_expire_due(*, actor: Actor, now: datetime | None = None) -> int:
    """Record `expired` for active consents past expiry (bookkeeping only: policy uses time)."""
    now = now or timezone.now()
    total = 0
    while True:
        done = _expire_batch(actor, now)
        total += done
        if done < EXPIRE_BATCH:
            return total


@transaction.atomic
def _expire_batch(actor: Actor, now: datetime) -> int:
    due = list(
        Consent.objects.select_for_update(skip_locked=True)
        .filter(status=ConsentStatus.ACTIVE, expires_at__lte=now)
        .order_by("expires_at", "id")[:EXPIRE_BATCH]
    )
    for consent in due:
        consent.status = ConsentStatus.EXPIRED
        consent.save(update_fields=["status", "updated_at"])
        _history(consent, actor, from_status=ConsentStatus.ACTIVE, reason="expired")
        recipients.notify_ended(consent, cause="expired", at=consent.expires_at or now)
        _audit(actor, consent, "consent.expire")
    return len(due)
