"""Seeding referrals with known histories (statuses and transition times) for the reports."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from agencies.models import Agency
from consent.models import Consent, ConsentStatus
from referrals.models import Referral, ReferralStatus, ReferralTransition

S = ReferralStatus
NOV = datetime(2026, 11, 5, 9, 0, tzinfo=UTC)
OCT = datetime(2026, 10, 12, 9, 0, tzinfo=UTC)

# The path a referral took to reach each status: statuses after `requested`.
PATHS: dict[str, tuple[str, ...]] = {
    S.REQUESTED: (),
    S.ACCEPTED: (S.ACCEPTED,),
    S.IN_PROGRESS: (S.ACCEPTED, S.IN_PROGRESS),
    S.COMPLETED: (S.ACCEPTED, S.COMPLETED),
    S.FAILED: (S.ACCEPTED, S.FAILED),
    S.REJECTED: (S.REJECTED,),
    S.CANCELLED: (S.CANCELLED,),
    S.EXPIRED: (S.EXPIRED,),
    S.ENTERED_IN_ERROR: (S.ENTERED_IN_ERROR,),
}


def _move(referral: Referral, source: str, target: str, at: datetime) -> None:
    row = ReferralTransition.objects.create(
        referral=referral, actor_kind="system", from_status=source, to_status=target
    )
    ReferralTransition.objects.filter(pk=row.pk).update(created_at=at)


@pytest.fixture
def seed(make_client) -> Callable[..., Referral]:  # type: ignore[no-untyped-def]
    """`seed(sender, recipient, status, sent_at=..., accept_h=..., close_h=...)` -> a Referral
    sent at `sent_at`, first accepted `accept_h` hours later, closed `close_h` hours later."""
    clients: dict[Any, Any] = {}
    consents: dict[tuple[Any, Any], Consent] = {}

    def consent_for(sender: Agency, recipient: Agency) -> Consent:
        if sender.id not in clients:
            clients[sender.id] = make_client(sender)
        key = (sender.id, recipient.id)
        if key not in consents:
            consents[key] = Consent.objects.create(
                client=clients[sender.id],
                agency_id=sender.id,
                recipient_agency=recipient,
                categories=["identity"],
                purpose="housing",
                valid_from=NOV - timedelta(days=400),
                expires_at=NOV + timedelta(days=300),
                method="written",
                signed_by="client",
                signer_relationship="self",
                informed=True,
                status=ConsentStatus.ACTIVE,
            )
        return consents[key]

    def make(
        sender: Agency,
        recipient: Agency,
        status: str,
        *,
        sent_at: datetime = NOV,
        service_type: str = "shelter",
        accept_h: float = 4,
        close_h: float = 24,
    ) -> Referral:
        consent = consent_for(sender, recipient)
        referral = Referral.objects.create(
            sender_agency=sender,
            recipient_agency=recipient,
            client=consent.client,
            consent=consent,
            service_type=service_type,
            status=status,
            response_deadline=sent_at + timedelta(days=10),
        )
        if status == S.DRAFT:
            return referral
        _move(referral, S.DRAFT, S.REQUESTED, sent_at)
        source: str = S.REQUESTED
        for target in PATHS[status]:
            hours = accept_h if target == S.ACCEPTED else close_h
            if target == S.IN_PROGRESS:
                hours = accept_h + 1
            _move(referral, source, target, sent_at + timedelta(hours=hours))
            source = target
        return referral

    return make


def seed_many(
    seed: Callable[..., Referral],
    sender: Agency,
    recipient: Agency,
    counts: dict[str, int],
    **kw: Any,
) -> None:
    for status, count in counts.items():
        for _ in range(count):
            seed(sender, recipient, status, **kw)
