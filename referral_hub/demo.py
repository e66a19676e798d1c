"""Demo data for `manage.py seed_demo` (idempotent; synthetic people only).

Agencies, users and programs, three clients at Eastside, then consents and referrals between
them. It spans every app, so it lives with the project (a system job: it may query clients
directly, see tests/test_layering.py).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from accounts.models import User
from accounts.selectors import actor_for_user
from accounts.users import user_create
from agencies.models import Agency, Program
from agencies.services import agency_create
from clients.models import Client
from clients.services import client_create
from consent.services import ConsentTerms, consent_grant
from core.actor import Actor, system_actor
from referral_hub.demo_console import seed_console_demo
from referrals.models import Referral
from referrals.services import referral_create, referral_transition


@dataclass(frozen=True)
class DemoProgram:
    name: str
    service_type: str
    description: str
    languages: tuple[str, ...]
    capacity: str = "available"


@dataclass(frozen=True)
class DemoAgency:
    name: str
    kind: str
    vsp: bool
    users: tuple[tuple[str, str], ...]
    programs: tuple[DemoProgram, ...]


DEMO_AGENCIES = (
    DemoAgency(
        "Eastside Legal Clinic",
        "legal_clinic",
        False,
        (
            ("alice", "caseworker"),
            ("sam", "supervisor"),
            ("erin", "compliance_officer"),
            ("adam", "agency_admin"),
        ),
        (
            DemoProgram(
                "T-Visa and U-Visa Help",
                "immigration_legal",
                "Immigration relief for survivors.",
                ("en", "es"),
            ),
            DemoProgram(
                "Protective Orders", "family_law", "Help filing for protective orders.", ("en",)
            ),
        ),
    ),
    DemoAgency(
        "Harbor Social Services",
        "social_services",
        False,
        (("carol", "caseworker"), ("hank", "supervisor")),
        (
            DemoProgram(
                "Case Management", "case_management", "Long-term case management.", ("en", "vi")
            ),
        ),
    ),
    DemoAgency(
        "Safe Harbor Housing",
        "housing",
        False,
        (("dave", "caseworker"),),
        (
            DemoProgram(
                "Emergency Shelter", "shelter", "Confidential emergency shelter.", ("en", "es")
            ),
            DemoProgram(
                "Transitional Housing",
                "transitional_housing",
                "Up to 24 months of housing.",
                ("en",),
                "waitlist",
            ),
        ),
    ),
    DemoAgency(
        "Northside Survivor Center",
        "social_services",
        True,
        (("vic", "caseworker"),),
        (
            DemoProgram(
                "Advocacy",
                "victim_advocacy",
                "Survivor advocacy and safety planning.",
                ("en", "fr"),
            ),
        ),
    ),
    # A community agency: restorative justice and mediation, which clinics refer people to.
    DemoAgency(
        "Riverside Community Justice Center",
        "social_services",
        False,
        (("rosa", "caseworker"), ("ruth", "supervisor")),
        (
            DemoProgram(
                "Restorative Justice Conferencing",
                "restorative_justice",
                "Facilitated conferences between the person harmed and the person responsible, "
                "when both choose it and it is safe. Spanish-speaking facilitators.",
                ("en", "es"),
            ),
            DemoProgram(
                "Neighbourhood Mediation",
                "community_mediation",
                "Free mediation of disputes between neighbours, tenants and landlords.",
                ("en",),
                "waitlist",
            ),
        ),
    ),
)


@transaction.atomic
def seed_demo(
    password: str, log: Callable[[str], object] = print, *, webhook: bool = False
) -> None:
    """Create what is missing; leave what exists alone. `webhook`: Eastside's demo webhook
    subscription too (`referral_hub.demo_console`)."""
    operator = system_actor("seed_demo")
    for spec in DEMO_AGENCIES:
        agency = Agency.objects.filter(name=spec.name).first()
        if agency is None:
            agency = agency_create(
                actor=operator, name=spec.name, kind=spec.kind, is_victim_service_provider=spec.vsp
            )
            log(f"agency  {spec.name}")
        _seed_programs(agency, spec.programs)
        for username, role in spec.users:
            if not User.objects.filter(username=username).exists():
                user_create(
                    actor=operator, agency=agency, username=username, password=password, role=role
                )
                log(f"user    {username:<6} {role:<18} {spec.name}")
    _seed_demo_clients(operator, log)
    seed_demo_referrals(log)
    seed_console_demo(log, webhook=webhook)


def _seed_programs(agency: Agency, programs: tuple[DemoProgram, ...]) -> None:
    """Missing programs, as confirmed by a person today (demo entries are never stale)."""
    now = timezone.now()
    for program in programs:
        Program.objects.get_or_create(
            agency=agency,
            name=program.name,
            defaults={
                "service_type": program.service_type,
                "description": program.description,
                "languages": list(program.languages),
                "capacity_status": program.capacity,
                "capacity_updated_at": now,
                "assured_at": now,
            },
        )


# Obviously synthetic people for alice's agency (never real data).
DEMO_CLIENTS = (
    {
        "identity": {
            "given_name": "Testa",
            "family_name": "Demoperson",
            "date_of_birth": "1990-01-01",
        },
        "demographics": {"preferred_language": "en", "household_size": 2},
    },
    {
        "identity": {
            "given_name": "Sample",
            "family_name": "Fictional",
            "preferred_name": "Sam",
            "date_of_birth": "1985-06-15",
        },
        "contact": {"safe_contact_instructions": "Demo only: text before calling."},
    },
    {
        "identity": {
            "given_name": "Placeholder",
            "family_name": "Example",
            "date_of_birth": "2000-12-31",
        }
    },
)


def _seed_demo_clients(operator: Actor, log: Callable[[str], object]) -> None:
    """Three synthetic clients at Eastside, only if it has none yet."""
    agency = Agency.objects.filter(name="Eastside Legal Clinic").first()
    if agency is None or Client.objects.filter(agency=agency).exists():
        return
    for data in DEMO_CLIENTS:
        client_create(actor=operator, agency=agency, data=data)
    log(f"clients {len(DEMO_CLIENTS)} synthetic demo clients at {agency.name}")


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
