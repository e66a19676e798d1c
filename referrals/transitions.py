"""Moving a referral along its state machine: lock, check, save, history, outbox, audit."""

from __future__ import annotations

import uuid

from django.db import transaction
from django.utils import timezone

from audit.services import INDEPENDENT
from core.actor import Actor
from core.errors import Conflict, NotFound, PermissionDenied, PreconditionFailed, ValidationFailed
from core.joined import Joined
from core.roles import CASE_ROLES, Scope
from crypto.service import seal_text
from referrals.consents import consent_for_referral
from referrals.events import emit_requested, emit_status_changed
from referrals.matching import program_check_fits
from referrals.models import Referral, ReferralStatus, ReferralTransition
from referrals.priorities import response_deadline_for
from referrals.selectors import party_of
from referrals.states import REASON_REQUIRED, SYSTEM, allowed_moves, is_allowed
from referrals.trail import referral_audit

REASON_MAX = 4000


def may_write(actor: Actor) -> uuid.UUID:
    """The actor's agency id, if the actor may change referrals; else 403."""
    if actor.agency_id is None or not actor.may(roles=CASE_ROLES, scope=Scope.REFERRALS_WRITE):
        raise PermissionDenied("Your role or integration scopes do not allow changing referrals.")
    return actor.agency_id


def history(
    *, actor: Actor, referral: Referral, source: str, target: str, reason: str
) -> ReferralTransition:
    row = ReferralTransition(
        id=uuid.uuid4(),
        referral=referral,
        actor_kind=actor.kind,
        actor_user_id=actor.user_id,
        actor_integration_id=actor.integration_id,
        actor_agency_id=actor.agency_id,
        from_status=source,
        to_status=target,
    )
    row.reason = seal_text(
        client=referral.client,
        row=row,
        column="reason",
        value=reason,
    )
    row.save(force_insert=True)
    return row


def deny(actor: Actor, referral: Referral, code: str, action: str = "referral.transition") -> None:
    """Audit a refused change after its transaction rolled back (independent connection)."""
    referral_audit(
        actor=actor,
        referral=referral,
        action=action,
        reason=code,
        outcome="deny",
        using=INDEPENDENT,
    )


_LOCKED = Joined(
    Referral,
    "client",
    "sender_agency",
    "recipient_agency",
    "program",
    where=("pk",),
    lock=("",),
    no_key=True,
)


def locked_row(referral: Referral) -> Referral:
    """The referral row locked `FOR NO KEY UPDATE`: concurrent writers queue here.

    NO KEY (not plain FOR UPDATE): a message insert on the same referral checks its deferred
    foreign key at COMMIT with a KEY SHARE lock, after taking the audit chain lock; a plain
    FOR UPDATE would conflict with it and deadlock against the chain lock.

    Only the referral row is locked; its client (the key the reasons are sealed under), the
    agencies and the program come in the same pre-built statement (`core.joined`), since every
    caller answers with the summary, which names them (two or three further SELECTs otherwise).
    A referral gone since the caller's scoped read is a 404.
    """
    locked = _LOCKED.fetch(referral.pk)
    if locked is None:
        raise NotFound()
    return locked  # type: ignore[no-any-return]


def check_version(
    actor: Actor, locked: Referral, expected: int | None, if_match: int | None
) -> None:
    if if_match is not None and locked.version != if_match:
        raise PreconditionFailed(current_version=locked.version)
    if expected is not None and locked.version != expected:
        raise Conflict(
            "The referral changed since you read it; re-read it and retry.",
            code="stale_version",
            current_version=locked.version,
        )


def referral_transition(
    *,
    actor: Actor,
    referral: Referral,
    to: str,
    reason: str = "",
    expected_version: int | None = None,
    if_match: int | None = None,
) -> Referral:
    """Move a referral along the DESIGN §4 state machine, as the sender, recipient or system.

    Refusals for state or version (409/412) are audited as denied and survive the rollback.
    """
    try:
        return _transition(
            actor=actor,
            referral=referral,
            to=to,
            reason=reason,
            expected_version=expected_version,
            if_match=if_match,
        )
    except (Conflict, PreconditionFailed) as refusal:
        deny(actor, referral, refusal.code)
        raise


@transaction.atomic
def _transition(
    *,
    actor: Actor,
    referral: Referral,
    to: str,
    reason: str,
    expected_version: int | None,
    if_match: int | None,
) -> Referral:
    if to not in ReferralStatus.values:
        raise ValidationFailed("Unknown status.", field="to")
    if len(reason) > REASON_MAX:
        raise ValidationFailed(f"The reason is limited to {REASON_MAX} characters.", field="reason")
    party = SYSTEM if actor.kind == "system" else party_of(actor, referral)
    if party is None:
        raise NotFound()
    if party != SYSTEM:
        may_write(actor)
    locked = locked_row(referral)  # concurrent transitions queue here; the loser sees a new version
    check_version(actor, locked, expected_version, if_match)
    source = locked.status
    if not is_allowed(source=source, target=to, party=party):
        raise Conflict(
            f"A referral in status {source} cannot move to {to} by the {party}.",
            code="illegal_transition",
            current_status=source,
            allowed=allowed_moves(source=source, party=party),
        )
    if to in REASON_REQUIRED and not reason.strip():
        raise ValidationFailed(f"A reason is required to move to {to}.", field="reason")
    if source == ReferralStatus.DRAFT and to == ReferralStatus.REQUESTED:
        program_check_fits(program=locked.program, service_type=locked.service_type)
        _sending_checks(locked)
    return _apply(actor=actor, referral=locked, source=source, target=to, reason=reason)


def _sending_checks(referral: Referral) -> None:
    """Sending a draft re-checks its consent (in effect, fitting) as a create would."""
    consent_for_referral(
        client_id=referral.client_id,
        recipient_id=referral.recipient_agency_id,
        consent_id=referral.consent_id,
        service_type=referral.service_type,
        at=timezone.now(),
    )


def _apply(*, actor: Actor, referral: Referral, source: str, target: str, reason: str) -> Referral:
    now = timezone.now()
    referral.status = target
    referral.version += 1
    referral.status_reason = seal_text(
        client=referral.client,
        row=referral,
        column="status_reason",
        value=reason,
    )
    fields = ["status", "version", "status_reason", "updated_at"]
    if target == ReferralStatus.REQUESTED:
        referral.response_deadline = response_deadline_for(
            priority=referral.priority, program=referral.program, at=now
        )
        fields.append("response_deadline")
    referral.save(update_fields=fields)
    history(actor=actor, referral=referral, source=source, target=target, reason=reason)
    if target == ReferralStatus.REQUESTED:
        emit_requested(referral)
    else:
        emit_status_changed(referral, source=source)
    referral_audit(actor=actor, referral=referral, action="referral.transition", reason=target)
    return referral
