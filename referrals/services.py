"""Writes on referrals: create, transition, assign, messages, deadlines (the public facade).

Each write is transactional, audited in the same transaction, and emits outbox events.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from django.db import transaction
from django.utils import timezone

from accounts.models import User
from agencies.models import Agency, Program, ServiceType
from audit.services import INDEPENDENT, audit_record
from clients.models import Client
from clients.selectors import REFER, client_get_for
from core.actor import Actor
from core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from core.roles import CASE_ROLES, Role
from core.transactions import service_atomic
from crypto.service import seal_text
from referrals.attach import referral_consent_attach
from referrals.consents import Parties, consent_for_referral, referral_parties
from referrals.deadlines import referral_expire_due, referral_remind_due_soon
from referrals.events import emit_requested
from referrals.matching import program_check_fits
from referrals.messaging import referral_message_add
from referrals.models import Priority, Referral, ReferralStatus
from referrals.priorities import response_deadline_for
from referrals.selectors import party_of
from referrals.states import RECIPIENT, TERMINAL
from referrals.trail import referral_audit
from referrals.transitions import (
    REASON_MAX,
    check_version,
    deny,
    history,
    locked_row,
    may_write,
    referral_transition,
)

__all__ = [
    "referral_assign",
    "referral_consent_attach",
    "referral_create",
    "referral_expire_due",
    "referral_fhir_viewed",
    "referral_message_add",
    "referral_remind_due_soon",
    "referral_transition",
    "response_deadline_for",
]


def _own_client(actor: Actor, client_id: uuid.UUID) -> Client:
    # Ids and the wrapped data key only (sealing the reason needs the key, not the fields).
    try:
        client = client_get_for(actor=actor, client_id=client_id, need=REFER)
    except NotFound:
        client = None
    if client is None or client.erased_at is not None:
        raise ValidationFailed("No such client in your agency.", field="client")
    return client


def _recipient(actor: Actor, agency_id: uuid.UUID) -> Agency:
    agency = Agency.objects.filter(pk=agency_id, is_active=True).first()
    if agency is None or agency.id == actor.agency_id:
        raise ValidationFailed(
            "The recipient must be another active agency.", field="recipient_agency"
        )
    return agency


def _program(
    recipient: Agency, program_id: uuid.UUID | None, service_type: str, draft: bool
) -> Program | None:
    """The recipient's program named, if any; a sent referral must fit it (a draft not yet)."""
    if program_id is None:
        return None
    program = Program.objects.filter(pk=program_id, agency=recipient).first()
    if program is None:
        raise ValidationFailed("The program must belong to the recipient.", field="program")
    if not draft:
        program_check_fits(program=program, service_type=service_type)
    return program


def _checked(
    actor: Actor,
    client_id: uuid.UUID,
    recipient_id: uuid.UUID,
    program_id: uuid.UUID | None,
    consent_id: uuid.UUID,
    service_type: str,
    draft: bool,
    now: datetime,
) -> tuple[Parties, Program | None]:
    """The create's checks one at a time, in the order that names the first problem (the
    one-statement lookup found something amiss, or will refuse)."""
    client = _own_client(actor, client_id)
    recipient = _recipient(actor, recipient_id)
    program = _program(recipient, program_id, service_type, draft)
    consent = consent_for_referral(
        client_id=client.id,
        recipient_id=recipient.id,
        consent_id=consent_id,
        service_type=service_type,
        at=now,
    )
    return Parties(client, recipient, consent), program


def referral_create(
    *,
    actor: Actor,
    client_id: uuid.UUID,
    recipient_agency_id: uuid.UUID,
    consent_id: uuid.UUID,
    service_type: str,
    reason: str,
    priority: str = Priority.ROUTINE,
    program_id: uuid.UUID | None = None,
    draft: bool = False,
) -> Referral:
    """Send (or draft) a referral of one of the actor's clients, under an active consent
    whose purpose fits the service. A refused consent check is audited as denied."""
    try:
        return _create(
            actor=actor,
            client_id=client_id,
            recipient_agency_id=recipient_agency_id,
            consent_id=consent_id,
            service_type=service_type,
            reason=reason,
            priority=priority,
            program_id=program_id,
            draft=draft,
        )
    except Conflict as refusal:
        audit_record(
            actor=actor,
            action="referral.create",
            target=("referrals.referral", ""),
            subject_id=client_id,
            target_agency_id=recipient_agency_id,
            consent_id=consent_id,
            outcome="deny",
            reason=refusal.code,
            using=INDEPENDENT,
        )
        raise


def _create(**kwargs: Any) -> Referral:
    # Inside the `Idempotency-Key` wrapper's transaction no SAVEPOINT (core.transactions).
    with service_atomic():
        return _create_in_transaction(**kwargs)


def _create_in_transaction(
    *,
    actor: Actor,
    client_id: uuid.UUID,
    recipient_agency_id: uuid.UUID,
    consent_id: uuid.UUID,
    service_type: str,
    reason: str,
    priority: str,
    program_id: uuid.UUID | None,
    draft: bool,
) -> Referral:
    may_write(actor)
    if service_type not in ServiceType.values:
        raise ValidationFailed("Unknown service type.", field="service_type")
    if priority not in Priority.values:
        raise ValidationFailed("Unknown priority.", field="priority")
    if not reason.strip() or len(reason) > REASON_MAX:
        raise ValidationFailed(
            f"A reason of 1-{REASON_MAX} characters is required.", field="reason"
        )
    now = timezone.now()
    parties = referral_parties(
        actor=actor,
        client_id=client_id,
        recipient_id=recipient_agency_id,
        consent_id=consent_id,
        service_type=service_type,
        at=now,
    )
    if parties is None:  # something is amiss: the step-by-step checks name it
        parties, program = _checked(
            actor, client_id, recipient_agency_id, program_id, consent_id, service_type, draft, now
        )
    else:
        program = _program(parties.recipient, program_id, service_type, draft)
    client, recipient, consent = parties.client, parties.recipient, parties.consent
    status = ReferralStatus.DRAFT if draft else ReferralStatus.REQUESTED
    referral = Referral(
        id=uuid.uuid4(),
        sender_agency=client.agency,  # the client's agency is the actor's (no second query)
        sender_user_id=actor.user_id,
        sender_integration_id=actor.integration_id,
        recipient_agency=recipient,
        program=program,
        client=client,
        consent=consent,
        service_type=service_type,
        priority=priority,
        status=status,
        response_deadline=None
        if draft
        else response_deadline_for(priority=priority, program=program, at=now),
    )
    referral.reason = seal_text(client=client, row=referral, column="reason", value=reason)
    referral.save(force_insert=True)
    history(actor=actor, referral=referral, source="", target=status, reason="")
    if not draft:
        emit_requested(referral)
    referral_audit(
        actor=actor,
        referral=referral,
        action="referral.create",
        consent_id=consent.id,
        purpose=consent.purpose,
        reason=status,
    )
    return referral


def referral_assign(
    *, actor: Actor, referral: Referral, assignee_id: uuid.UUID, expected_version: int | None = None
) -> Referral:
    """The recipient's supervisor assigns the referral to one of the recipient's case staff."""
    try:
        return _assign(
            actor=actor, referral=referral, assignee_id=assignee_id, expected=expected_version
        )
    except Conflict as refusal:
        deny(actor, referral, refusal.code)
        raise


@transaction.atomic
def _assign(
    *, actor: Actor, referral: Referral, assignee_id: uuid.UUID, expected: int | None
) -> Referral:
    if party_of(actor, referral) is None:
        raise NotFound()
    if party_of(actor, referral) != RECIPIENT or not actor.has_role(Role.SUPERVISOR):
        raise PermissionDenied("Only a supervisor at the recipient agency can assign referrals.")
    assignee = User.objects.filter(
        pk=assignee_id,
        agency_id=referral.recipient_agency_id,
        is_active=True,
        role__in=CASE_ROLES,
    ).first()
    if assignee is None:
        raise ValidationFailed(
            "The assignee must be an active caseworker or supervisor of your agency.",
            field="assignee",
        )
    locked = locked_row(referral)
    check_version(actor, locked, expected, None)
    if locked.status in TERMINAL or locked.status == ReferralStatus.DRAFT:
        raise Conflict("This referral is closed; it cannot be assigned.", code="referral_closed")
    locked.assignee = assignee
    locked.version += 1
    locked.save(update_fields=["assignee", "version", "updated_at"])
    referral_audit(actor=actor, referral=locked, action="referral.assign")
    return locked


def referral_fhir_viewed(*, actor: Actor, referral: Referral) -> None:
    """Audit a read of the FHIR view (it carries ids and states only, no client fields)."""
    if party_of(actor, referral) is None:
        raise NotFound()
    referral_audit(actor=actor, referral=referral, action="referral.read", reason="fhir")
