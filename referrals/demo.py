"""Demo consents and referrals for `manage.py seed_demo` (idempotent; synthetic data only)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from django.utils import timezone

from accounts.models import User
from accounts.selectors import actor_for_user
from agencies.models import Agency, Program
from clients.models import Client
from referrals.models import Referral

# (client index at Eastside, recipient, program, categories, purpose, service type, reason, answer)
DEMO_REFERRALS = (
    (
        0,
        "Safe Harbor Housing",
        "Emergency Shelter",
        ("identity", "contact", "demographics"),
        "housing",
        "shelter",
        "Demo: needs a confidential shelter bed this week.",
        None,
    ),
    (
        1,
        "Harbor Social Services",
        "Case Management",
        ("identity", "contact"),
        "case_coordination",
        "case_management",
        "Demo: long-term case management.",
        "accepted",
    ),
)


def seed_demo_referrals(log: Callable[[str], object] = print) -> None:
    """alice refers two demo clients, under consent; carol accepts one. Skips if any exist."""
    from consent.services import ConsentTerms, consent_grant
    from referrals.services import referral_create, referral_transition

    eastside = Agency.objects.filter(name="Eastside Legal Clinic").first()
    alice = User.objects.filter(username="alice").first()
    if (
        eastside is None
        or alice is None
        or Referral.objects.filter(sender_agency=eastside).exists()
    ):
        return
    clients = list(
        Client.objects.filter(agency=eastside, erased_at__isnull=True).order_by("created_at")
    )
    sender = actor_for_user(alice, auth_method="seed")
    for (
        index,
        recipient_name,
        program_name,
        categories,
        purpose,
        service,
        reason,
        answer,
    ) in DEMO_REFERRALS:
        recipient = Agency.objects.filter(name=recipient_name).first()
        if recipient is None or index >= len(clients):
            continue
        terms = ConsentTerms(
            recipient_agency_id=recipient.id,
            categories=categories,
            purpose=purpose,
            method="written",
            signed_by="client",
            signer_relationship="self",
            informed=True,
            expires_at=timezone.now() + timedelta(days=180),
        )
        consent = consent_grant(actor=sender, client=clients[index], terms=terms)
        program = Program.objects.filter(agency=recipient, name=program_name).first()
        referral = referral_create(
            actor=sender,
            client_id=clients[index].id,
            recipient_agency_id=recipient.id,
            consent_id=consent.id,
            service_type=service,
            reason=reason,
            priority="urgent",
            program_id=program.id if program else None,
        )
        log(f"referral alice -> {recipient_name} ({referral.id})")
        responder = User.objects.filter(agency=recipient, role="caseworker").first()
        if answer and responder is not None:
            referral_transition(
                actor=actor_for_user(responder, auth_method="seed"), referral=referral, to=answer
            )
