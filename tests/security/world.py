"""A small world of real objects for the security suites.

Agency A (Eastside) owns a client with a distinctive value in every field, a consent to agency B
(Safe Harbor Housing), a referral A -> B with a reason and a message, a draft referral B must not
see, a webhook subscription with a delivery, and a program. Agency C (Northside) is a bystander.
Every role exists at A, B and C, plus an all-scope integration at each.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from django.utils import timezone
from rest_framework.test import APIClient

from accounts.models import Integration, RefreshToken, TokenFamily, User
from agencies.models import Agency, Program
from api import tokens
from core.roles import ALL_SCOPES, Role
from tests.conftest import PASSWORD, access_token_for, actor
from tests.factories import UserFactory

ROLES = (Role.CASEWORKER, Role.SUPERVISOR, Role.AGENCY_ADMIN, Role.COMPLIANCE_OFFICER)

# One distinctive value per client field, plus the free-text paths (reason, message, consent).
CLIENT_VALUES: dict[str, dict[str, Any]] = {
    "identity": {
        "given_name": "Wrenfaeya",
        "family_name": "Matrixcanary",
        "preferred_name": "Wren-Mx",
        "date_of_birth": "1983-07-19",
    },
    "contact": {
        "phone": "+1 555 0142 9931",
        "email": "wrenfaeya.mx@example.test",
        "address": "17 Lanternfly Court",
        "safe_contact_instructions": "Text first, never voicemail (mx)",
    },
    "demographics": {"gender": "mxgender", "preferred_language": "mxlang", "household_size": 4},
    "safety": {"risk_notes": "Matrix risk narrative: partner owns a van"},
    "immigration": {"status": "mx-t-visa-pending", "notes": "Matrix immigration notes"},
    "health": {"notes": "Matrix health notes"},
}
REASON = "Matrix referral reason: needs a bed far from the van"
MESSAGE = "Matrix message: bed confirmed for Thursday"
PURPOSE_DETAIL = "Matrix consent detail: housing search"


def survivor_strings() -> list[str]:
    values = [str(v) for c in CLIENT_VALUES.values() for v in c.values() if not isinstance(v, int)]
    return [*values, REASON, MESSAGE, PURPOSE_DETAIL]


def bearer(who: User | Integration | None) -> APIClient:
    client = APIClient()
    if isinstance(who, Integration):
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {tokens.integration_access(who)}")
    elif isinstance(who, User):
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {access_token_for(who)}")
    return client


def integration(
    agency: Agency, scopes: list[str] | tuple[str, ...] | frozenset[str]
) -> Integration:
    from accounts.integrations import integration_create
    from tests.conftest import Actor

    made, _secret = integration_create(
        actor=Actor(kind="system", agency_id=None, username="test"),
        agency=agency,
        name=f"partner-{uuid.uuid4().hex[:8]}",
        scopes=sorted(scopes),
    )
    return made


@dataclass
class Tenant:
    agency: Agency
    users: dict[str, User] = field(default_factory=dict)  # role -> user
    full: Integration | None = None  # every scope


@dataclass
class World:
    a: Tenant
    b: Tenant
    c: Tenant
    ids: dict[str, str]  # A's object ids by name

    def private_ids(self) -> list[str]:
        """Ids of A's objects nobody outside A may learn (B knows the referral's ids)."""
        private = ("subscription", "delivery", "draft", "client2", "staff", "staff_family")
        return [self.ids[k] for k in (*private, "own_family", "integration")]

    def all_ids(self) -> list[str]:
        return [v for k, v in self.ids.items() if k not in {"agency", "program"}]


def live_session(user: User) -> TokenFamily:
    """A signed-in session of `user` (a token family with a live refresh token)."""
    family = TokenFamily.objects.create(user=user)
    RefreshToken.objects.create(
        jti=uuid.uuid4().hex, family=family, expires_at=timezone.now() + timedelta(hours=1)
    )
    return family


def _tenant(agency: Agency, prefix: str, existing: dict[str, User]) -> Tenant:
    users = dict(existing)
    for role in ROLES:
        if role not in users:
            users[role] = UserFactory(
                username=f"{prefix}-{role}", password=PASSWORD, agency=agency, role=role
            )
    return Tenant(agency=agency, users=users, full=integration(agency, ALL_SCOPES))


def _ok(response: Any) -> dict[str, Any]:
    assert response.status_code in (200, 201), (response.status_code, response.content[:300])
    return response.json()  # type: ignore[no-any-return]


def grant_body(recipient: Agency, **over: Any) -> dict[str, Any]:
    body = {
        "recipient_agency_id": str(recipient.id),
        "categories": ["identity", "contact", "demographics", "safety"],
        "purpose": "housing",
        "purpose_detail": PURPOSE_DETAIL,
        "expires_at": (timezone.now() + timedelta(days=90)).isoformat(),
        "method": "written",
        "signed_by": "client",
        "informed": True,
    }
    body.update(over)
    return body


def build_world(
    *,
    eastside: Agency,
    safehouse: Agency,
    northside: Agency,
    alice: User,
    sam: User,
    erin: User,
    adam: User,
    dave: User,
    vic: User,
    settings: Any,
) -> World:
    settings.WEBHOOK_ALLOW_PRIVATE = True
    a = _tenant(
        eastside,
        "a",
        {
            Role.CASEWORKER: alice,
            Role.SUPERVISOR: sam,
            Role.COMPLIANCE_OFFICER: erin,
            Role.AGENCY_ADMIN: adam,
        },
    )
    b = _tenant(safehouse, "b", {Role.CASEWORKER: dave})
    c = _tenant(northside, "c", {Role.CASEWORKER: vic})

    from webhooks.services import subscription_create

    sub, _secret = subscription_create(
        actor=actor(adam), url="http://127.0.0.1:9/hook", event_types=["*"]
    )
    as_alice = bearer(alice)
    client = _ok(as_alice.post("/api/v1/clients", CLIENT_VALUES, format="json"))
    other = _ok(
        as_alice.post(
            "/api/v1/clients",
            {"identity": {"given_name": "Xq", "family_name": "Yz"}},
            format="json",
        )
    )
    consent = _ok(
        as_alice.post(
            f"/api/v1/clients/{client['id']}/consents", grant_body(safehouse), format="json"
        )
    )
    referral_body = {
        "client_id": client["id"],
        "recipient_agency_id": str(safehouse.id),
        "consent_id": consent["id"],
        "service_type": "shelter",
        "priority": "urgent",
        "reason": REASON,
    }
    referral = _ok(as_alice.post("/api/v1/referrals", referral_body, format="json"))
    draft = _ok(as_alice.post("/api/v1/referrals", {**referral_body, "draft": True}, format="json"))
    message = _ok(
        as_alice.post(
            f"/api/v1/referrals/{referral['id']}/messages", {"body": MESSAGE}, format="json"
        )
    )

    from webhooks.fanout import fanout_pending
    from webhooks.models import Delivery

    while fanout_pending():
        pass
    delivery = Delivery.objects.filter(subscription=sub).order_by("created_at").first()
    assert delivery is not None, "the subscription received no delivery"
    program = Program.objects.filter(agency=eastside).first()
    assert program is not None
    staff = User.objects.create_user(
        username="a-staff", password=PASSWORD, agency=eastside, role=Role.CASEWORKER
    )
    ids = {
        "agency": str(eastside.id),
        "program": str(program.id),
        "client": client["id"],
        "client2": other["id"],
        "consent": consent["id"],
        "referral": referral["id"],
        "draft": draft["id"],
        "message": message["id"],
        "subscription": str(sub.id),
        "delivery": str(delivery.id),
        "staff": str(staff.id),
        "staff_family": str(live_session(staff).id),
        "own_family": str(live_session(alice).id),
        "integration": str(integration(eastside, ["referrals:read"]).id),
    }
    return World(a=a, b=b, c=c, ids=ids)
