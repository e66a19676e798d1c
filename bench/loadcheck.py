"""Seed data for the load test, and the checks run on the database afterwards.

Runs inside the load-test process with Django configured against the scratch database.
Every value is synthetic (`Load Person 7`); nothing here resembles a real person.
"""

from __future__ import annotations

import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from django.utils import timezone

PASSWORD = "load-test-password-0000"
AGENCIES = ("Eastside Legal Clinic", "Harbor Social Services", "Safe Harbor Housing")
SERVICE_TYPE = "case_management"


@dataclass
class Partner:
    """One agency's view of the test: its identities, clients and consents."""

    agency_id: str
    name: str
    users: list[str] = field(default_factory=list)
    integrations: list[tuple[str, str]] = field(default_factory=list)  # (client_id, secret)
    # client id -> {recipient agency id -> consent id}
    clients: dict[str, dict[str, str]] = field(default_factory=dict)


@dataclass
class Seed:
    partners: list[Partner]
    referrals: list[tuple[str, str, str]]  # (referral id, sender agency id, recipient agency id)


def seed(*, users: int, integrations: int, clients: int, referrals: int) -> Seed:
    """Demo agencies plus load-test users, integrations, clients, consents and referrals."""
    from accounts.actor import system_actor
    from accounts.services import actor_for_user, integration_create, user_create
    from agencies.demo import seed_demo
    from agencies.models import Agency

    seed_demo(PASSWORD, log=lambda _msg: None)
    operator = system_actor("loadtest")
    agencies = [Agency.objects.get(name=name) for name in AGENCIES]
    partners = []
    for n, agency in enumerate(agencies):
        partner = Partner(agency_id=str(agency.id), name=agency.name)
        for i in range(users):
            username = f"load{n}u{i}"
            user_create(
                actor=operator,
                agency=agency,
                username=username,
                password=PASSWORD,
                role="caseworker",
            )
            partner.users.append(username)
        for i in range(integrations):
            integration, secret = integration_create(
                actor=operator,
                agency=agency,
                name=f"load-partner-{n}-{i}",
                scopes=["referrals:read", "referrals:write"],
            )
            partner.integrations.append((integration.client_id, secret))
        recorder = actor_for_user(
            _user(partner.users[0]) if partner.users else _any_caseworker(agency), auth_method="jwt"
        )
        others = [a for a in agencies if a.id != agency.id]
        for i in range(clients):
            partner.clients[_client(recorder, agency, n, i)] = {}
        for client_id in partner.clients:
            for other in others:
                partner.clients[client_id][str(other.id)] = _consent(recorder, client_id, other.id)
        partners.append(partner)
    return Seed(partners=partners, referrals=_referrals(partners, referrals))


def _user(username: str):  # type: ignore[no-untyped-def]
    from accounts.models import User

    return User.objects.get(username=username)


def _any_caseworker(agency):  # type: ignore[no-untyped-def]
    from accounts.models import User

    return User.objects.filter(agency=agency, role="caseworker").first()


def _client(actor: Any, agency: Any, n: int, i: int) -> str:
    from clients.services import client_create

    data = {"identity": {"given_name": "Load", "family_name": f"Person {n}-{i}"}}
    return str(client_create(actor=actor, agency=agency, data=data).id)


def _consent(actor: Any, client_id: str, recipient_id: uuid.UUID) -> str:
    from clients.models import Client
    from consent.services import ConsentTerms, consent_grant

    terms = ConsentTerms(
        recipient_agency_id=recipient_id,
        categories=("identity",),
        purpose="case_coordination",
        method="written",
        signed_by="client",
        informed=True,
        expires_at=timezone.now() + timedelta(days=30),
    )
    client = Client.objects.get(pk=client_id)
    return str(consent_grant(actor=actor, client=client, terms=terms).id)


def _referrals(partners: list[Partner], per_pair: int) -> list[tuple[str, str, str]]:
    """A few referrals between every pair so inboxes are not empty at the start."""
    from accounts.services import actor_for_user
    from referrals.services import referral_create

    made = []
    for sender in partners:
        actor = actor_for_user(_user(sender.users[0]), auth_method="jwt")
        for recipient in partners:
            if recipient is sender:
                continue
            for client_id in list(sender.clients)[:per_pair]:
                referral = referral_create(
                    actor=actor,
                    client_id=uuid.UUID(client_id),
                    recipient_agency_id=uuid.UUID(recipient.agency_id),
                    consent_id=uuid.UUID(sender.clients[client_id][recipient.agency_id]),
                    service_type=SERVICE_TYPE,
                    reason="Load test seed referral (synthetic)",
                )
                made.append((str(referral.id), sender.agency_id, recipient.agency_id))
    return made


@dataclass
class Acknowledged:
    """What the server acknowledged during the run (2xx responses)."""

    creates: dict[str, str]  # idempotency key -> referral id
    transitions: int  # acknowledged status changes (sender + recipient agencies notified)
    messages: set[str]  # message ids


def verify(seeded: Seed, acked: Acknowledged) -> list[tuple[str, bool, str]]:
    """(check, passed, detail) for every invariant the load test promises."""
    from audit.models import AuditEvent
    from audit.verify import verify_chains
    from referrals.models import Referral, ReferralMessage
    from webhooks.models import OutboxEvent

    checks: list[tuple[str, bool, str]] = []
    ids = set(acked.creates.values())
    found = set(map(str, Referral.objects.filter(pk__in=ids).values_list("id", flat=True)))
    total = Referral.objects.count()
    expected_total = len(seeded.referrals) + len(ids)
    checks.append(
        (
            "every acknowledged create exists",
            found == ids,
            f"{len(found)}/{len(ids)} acknowledged referrals found",
        )
    )
    checks.append(
        (
            "no duplicate or unacknowledged referral",
            total == expected_total and len(ids) == len(acked.creates),
            f"{total} referrals in the database, expected {expected_total} "
            f"({len(seeded.referrals)} seeded + {len(ids)} acknowledged, "
            f"{len(acked.creates)} keys)",
        )
    )
    requested = Counter(
        (e["data"]["referral_id"], str(e["agency_id"]))
        for e in OutboxEvent.objects.filter(type="referral.requested").values("data", "agency_id")
    )
    pairs = {(r, rec) for r, _s, rec in seeded.referrals}
    pairs |= {
        (str(r), str(rec))
        for r, rec in Referral.objects.filter(pk__in=ids).values_list("id", "recipient_agency_id")
    }
    once = all(requested.get(p) == 1 for p in pairs)
    checks.append(
        (
            "one referral.requested per referral and recipient",
            once and sum(requested.values()) == 2 * total,
            f"{sum(requested.values())} events for {total} referrals x 2 agencies",
        )
    )
    changed = OutboxEvent.objects.filter(type="referral.status_changed").count()
    audited = AuditEvent.objects.filter(action="referral.transition", outcome="allow").count()
    checks.append(
        (
            "one referral.status_changed per transition and party",
            changed == 2 * acked.transitions and audited == acked.transitions,
            f"{acked.transitions} acknowledged transitions, {changed} events (2 per change), "
            f"{audited} audited",
        )
    )
    stored = ReferralMessage.objects.count()
    added = OutboxEvent.objects.filter(type="referral.message_added").count()
    checks.append(
        (
            "one referral.message_added per message",
            stored == len(acked.messages) == added,
            f"{len(acked.messages)} acknowledged, {stored} stored, {added} events",
        )
    )
    created = AuditEvent.objects.filter(action="referral.create", outcome="allow").count()
    checks.append(
        ("one referral.create audit event per referral", created == total, f"{created} events")
    )
    report = verify_chains()
    checks.append(
        (
            "audit chains verify",
            report.valid,
            f"{report.events_checked} events in {len(report.chains)} chains"
            + ("" if report.valid else f"; first broken {report.first_broken}"),
        )
    )
    return checks
