"""Demo data that makes every console screen non-empty (issue 16), on top of `demo.py`.

A referral the other way (Harbor -> Eastside) so alice's inbox has one and Eastside's
compliance officer sees a disclosure in its own trail; Harbor reads and answers the referral
it accepted (a disclosure in the client's accounting, a message thread). Idempotent: skipped
once the Harbor -> Eastside referral exists.

With `webhook=True` (`manage.py seed_demo`; not the load tests, which count every pending
delivery), Eastside also gets a demo webhook subscription (its admin's screen lists it with
the deliveries of the demo's events). Nothing listens at its address, so the worker's
deliveries fail and are retried, as they would for a partner that is down. Private addresses
are accepted only with `WEBHOOK_ALLOW_PRIVATE` (the dev default); else it is skipped.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from accounts.integrations import integration_create
from accounts.models import User
from accounts.selectors import actor_for_user
from agencies.models import Agency, Program
from clients.services import client_create
from consent.services import ConsentTerms, consent_grant
from core.actor import system_actor
from referrals.models import Referral
from referrals.reads import referral_read
from referrals.services import referral_create, referral_message_add
from webhooks.fanout import fanout_pending
from webhooks.models import Subscription
from webhooks.services import subscription_create

# The discard port: nothing answers, so deliveries show retries and then a failure.
DEMO_WEBHOOK_URL = "http://127.0.0.1:9/referral-hub-demo-webhook"
DEMO_WEBHOOK_NOTE = "Demo: nothing listens at this address; deliveries are retried, then fail."

HARBOR_CLIENT = {
    "identity": {
        "given_name": "Demo",
        "family_name": "Harborclient",
        "date_of_birth": "1979-03-09",
    },
    "demographics": {"preferred_language": "es", "household_size": 3},
}


def _user(name: str) -> User | None:
    return User.objects.select_related("agency").filter(username=name).first()


def seed_console_demo(log: Callable[[str], object] = print, *, webhook: bool = False) -> None:
    """`webhook`: also Eastside's demo subscription (`manage.py seed_demo` asks for it; the load
    tests, which seed too and count every pending delivery, do not)."""
    eastside = Agency.objects.filter(name="Eastside Legal Clinic").first()
    harbor = Agency.objects.filter(name="Harbor Social Services").first()
    alice, carol = _user("alice"), _user("carol")
    if None in (eastside, harbor, alice, carol):
        return
    if webhook:
        seed_demo_webhook(eastside, log)  # type: ignore[arg-type]
    if Referral.objects.filter(sender_agency=harbor, recipient_agency=eastside).exists():
        return
    with transaction.atomic():
        _inbound(harbor, eastside, alice, carol)  # type: ignore[arg-type]
        _answer(harbor, alice, carol)  # type: ignore[arg-type]
        integration_create(
            actor=system_actor("seed_demo"),
            agency=eastside,  # type: ignore[arg-type]
            name="Eastside case management system (demo)",
            scopes=["referrals:read", "referrals:write"],
        )
    if webhook:
        fanout_pending()  # the worker's first step: the demo events become deliveries now
    log("console demo: Harbor -> Eastside referral, messages, disclosures")


def seed_demo_webhook(eastside: Agency, log: Callable[[str], object] = print) -> None:
    """Eastside's demo subscription, made by its admin (idempotent: once per database)."""
    admin = User.objects.filter(agency=eastside, role="agency_admin", is_active=True).first()
    if admin is None or Subscription.objects.filter(description=DEMO_WEBHOOK_NOTE).exists():
        return
    if not settings.WEBHOOK_ALLOW_PRIVATE:
        log("console demo: no demo webhook (WEBHOOK_ALLOW_PRIVATE is off)")
        return
    subscription_create(
        actor=actor_for_user(admin, auth_method="seed"),
        url=DEMO_WEBHOOK_URL,
        event_types=["referral.requested", "referral.status_changed", "referral.message_added"],
        description=DEMO_WEBHOOK_NOTE,
    )
    log(f"webhook {DEMO_WEBHOOK_URL} (Eastside, demo)")


def _inbound(harbor: Agency, eastside: Agency, alice: User, carol: User) -> None:
    """carol (Harbor) refers a Harbor client to Eastside; alice reads it (a disclosure)."""
    sender = actor_for_user(carol, auth_method="seed")
    client = client_create(actor=system_actor("seed_demo"), agency=harbor, data=HARBOR_CLIENT)
    consent = consent_grant(
        actor=sender,
        client=client,
        terms=ConsentTerms(
            recipient_agency_id=eastside.id,
            categories=["identity", "demographics"],
            purpose="legal_services",
            method="electronic",
            signed_by="client",
            informed=True,
            expires_at=timezone.now() + timedelta(days=120),
        ),
    )
    program = Program.objects.filter(agency=eastside, name="Protective Orders").first()
    referral = referral_create(
        actor=sender,
        client_id=client.id,
        recipient_agency_id=eastside.id,
        consent_id=consent.id,
        service_type=program.service_type if program else "family_law",
        reason="Demo: needs help filing for a protective order.",
        priority="routine",
        program_id=program.id if program else None,
    )
    referral_read(actor=actor_for_user(alice, auth_method="seed"), referral=referral)


def _answer(harbor: Agency, alice: User, carol: User) -> None:
    """Harbor reads the referral it accepted and writes; alice replies."""
    accepted = Referral.objects.filter(recipient_agency=harbor, status="accepted").first()
    if accepted is None:
        return
    recipient, sender = (
        actor_for_user(carol, auth_method="seed"),
        actor_for_user(alice, auth_method="seed"),
    )
    referral_read(actor=recipient, referral=accepted)
    referral_message_add(actor=recipient, referral=accepted, body="Demo: we can meet on Tuesday.")
    referral_message_add(actor=sender, referral=accepted, body="Demo: thank you, Tuesday works.")
