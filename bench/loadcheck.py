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
    from accounts.integrations import integration_create
    from accounts.selectors import actor_for_user
    from accounts.users import user_create
    from agencies.models import Agency
    from core.actor import system_actor
    from referral_hub.demo import seed_demo

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
    from accounts.selectors import actor_for_user
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


def counts() -> dict[str, int]:
    """Rows the workload adds to; snapshotted after seeding (the demo seed writes some too)."""
    from audit.models import AuditEvent
    from referrals.models import Referral, ReferralMessage
    from webhooks.models import OutboxEvent

    def events(kind: str) -> int:
        return OutboxEvent.objects.filter(type=kind).count()

    def audited(action: str) -> int:
        return AuditEvent.objects.filter(action=action, outcome="allow").count()

    return {
        "referrals": Referral.objects.count(),
        "messages": ReferralMessage.objects.count(),
        "requested": events("referral.requested"),
        "changed": events("referral.status_changed"),
        "added": events("referral.message_added"),
        "audit.create": audited("referral.create"),
        "audit.transition": audited("referral.transition"),
        "audit.message": audited("referral.message"),
    }


def verify(before: dict[str, int], acked: Acknowledged) -> list[tuple[str, bool, str]]:
    """(check, passed, detail) for every invariant the load test promises."""
    from audit.verify import verify_chains
    from referrals.models import Referral
    from webhooks.models import OutboxEvent

    after = counts()
    grew = {name: after[name] - before[name] for name in after}
    ids = set(acked.creates.values())
    found = set(map(str, Referral.objects.filter(pk__in=ids).values_list("id", flat=True)))
    requested = Counter(
        (e["data"]["referral_id"], str(e["agency_id"]))
        for e in OutboxEvent.objects.filter(type="referral.requested").values("data", "agency_id")
    )
    recipients = Referral.objects.filter(pk__in=ids).values_list("id", "recipient_agency_id")
    once = all(requested.get((str(r), str(a))) == 1 for r, a in recipients)
    report = verify_chains()
    return [
        (
            "every acknowledged create exists",
            found == ids,
            f"{len(found)}/{len(ids)} acknowledged referrals found",
        ),
        (
            "no duplicate or unacknowledged referral",
            grew["referrals"] == len(ids) == len(acked.creates),
            f"{grew['referrals']} new referrals in the database for {len(acked.creates)} "
            f"acknowledged keys ({len(ids)} distinct ids)",
        ),
        (
            "one referral.requested per referral and party",
            once and grew["requested"] == 2 * len(ids),
            f"{grew['requested']} new events for {len(ids)} referrals x 2 agencies",
        ),
        (
            "two referral.status_changed per transition (both parties)",
            grew["changed"] == 2 * acked.transitions == 2 * grew["audit.transition"],
            f"{acked.transitions} acknowledged transitions, {grew['changed']} events, "
            f"{grew['audit.transition']} audited",
        ),
        (
            "one referral.message_added per message",
            grew["messages"] == len(acked.messages) == grew["added"] == grew["audit.message"],
            f"{len(acked.messages)} acknowledged, {grew['messages']} stored, "
            f"{grew['added']} events, {grew['audit.message']} audited",
        ),
        (
            "one referral.create audit event per referral",
            grew["audit.create"] == len(ids),
            f"{grew['audit.create']} new events",
        ),
        (
            "audit chains verify",
            report.valid,
            f"{report.events_checked} events in {len(report.chains)} chains"
            + ("" if report.valid else f"; first broken {report.first_broken}"),
        ),
    ]


# --- two instances (`make loadtest INSTANCES=2`): webhooks and the shared sign-in limit ----------
LIMIT_TARGET = "load-limit-target"


def seed_webhooks(partners: list[Partner], url_for: Any) -> dict[str, tuple[str, str]]:
    """One `*` subscription per agency, created by a new agency admin, at `url_for(path)`.

    Returns {subscription id: (path, secret)} (the receiver verifies each signature).
    """
    from accounts.selectors import actor_for_user
    from accounts.users import user_create
    from agencies.models import Agency
    from core.actor import system_actor
    from webhooks.services import subscription_create

    operator = system_actor("loadtest")
    made = {}
    for n, partner in enumerate(partners):
        agency = Agency.objects.get(pk=partner.agency_id)
        admin = user_create(
            actor=operator,
            agency=agency,
            username=f"load{n}admin",
            password=PASSWORD,
            role="agency_admin",
        )
        path = f"/hooks/{n}"
        subscription, secret = subscription_create(
            actor=actor_for_user(admin, auth_method="jwt"),
            url=url_for(path),
            event_types=["*"],
            description="load test receiver",
        )
        made[str(subscription.id)] = (path, secret)
    return made


def seed_limit_target() -> None:
    """An account nobody else uses, for the sign-in limit check across instances."""
    from accounts.users import user_create
    from agencies.models import Agency
    from core.actor import system_actor

    user_create(
        actor=system_actor("loadtest"),
        agency=Agency.objects.get(name=AGENCIES[0]),
        username=LIMIT_TARGET,
        password=PASSWORD,
        role="caseworker",
    )


def webhooks_pending() -> int:
    """Outbox rows not yet fanned out plus deliveries still due (0: the workers are done)."""
    from webhooks.models import Delivery, OutboxEvent

    return (
        OutboxEvent.objects.filter(fanned_out_at__isnull=True).count()
        + Delivery.objects.filter(status="pending").count()
    )


def verify_webhooks(
    subscriptions: dict[str, tuple[str, str]], receiver: Any
) -> list[tuple[str, bool, str]]:
    """Every event delivered at least once, and copies only where a retry was due."""
    from webhooks.models import Delivery, OutboxEvent, Subscription

    subs = {str(s.id): s for s in Subscription.objects.filter(pk__in=list(subscriptions))}
    expected: set[tuple[str, str]] = set()
    for event in OutboxEvent.objects.filter(
        agency_id__in={s.agency_id for s in subs.values()}
    ).values("event_id", "agency_id", "occurred_at"):
        for sub_id, sub in subs.items():
            if sub.agency_id == event["agency_id"] and sub.created_at <= event["occurred_at"]:
                expected.add((sub_id, str(event["event_id"])))
    rows = list(
        Delivery.objects.filter(subscription_id__in=list(subs)).values(
            "subscription_id", "event__event_id", "status", "attempt_count"
        )
    )
    made = Counter((str(r["subscription_id"]), str(r["event__event_id"])) for r in rows)
    path = {sub_id: spec[0] for sub_id, spec in subscriptions.items()}
    statuses = Counter(r["status"] for r in rows)
    missing, extra_copies, not_accepted_once, retried = 0, 0, 0, 0
    for r in rows:
        key = (path[str(r["subscription_id"])], str(r["event__event_id"]))
        got, ok = receiver.received[key], receiver.accepted[key]
        missing += got == 0
        extra_copies += got != r["attempt_count"]
        not_accepted_once += ok != 1
        retried += r["attempt_count"] > 1
    copies = sum(receiver.received.values())
    return [
        (
            "one delivery per event and subscription",
            set(made) == expected and max(made.values(), default=1) == 1,
            f"{len(made)} deliveries for {len(expected)} (event, subscription) pairs",
        ),
        (
            "every webhook delivered",
            statuses.get("delivered", 0) == len(rows) and missing == 0 and len(rows) > 0,
            f"{statuses.get('delivered', 0)} of {len(rows)} delivered "
            f"({dict(statuses)}); {missing} never reached the receiver",
        ),
        (
            "no duplicate event ids beyond retries",
            extra_copies == 0 and not_accepted_once == 0 and not receiver.bad,
            f"{copies} copies received for {len(rows)} deliveries, {retried} retried after a "
            f"503; {extra_copies} with copies != attempts, {not_accepted_once} not accepted "
            f"exactly once; {len(receiver.bad)} unsigned or badly signed",
        ),
    ]
