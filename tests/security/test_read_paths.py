"""Every read path follows the one decision (issue 12 item 8, DESIGN §2.2).

Built from the URL resolver like `test_tenant_matrix.py`: every (route, method) under /api/v1
is classified below, so a new route that could return survivor data cannot ship unwalked.
For the walked referral routes, against a referral in every status and under its consent
active, revoked, expired, replaced or not fitting, as the sender and the recipient (people, a
full integration, an integration without `clients:read`):

* each client value appears exactly when its category is in what the decision permits
  (recomputed here from `consent.policy.decide` and the documented rules, not from the code
  under test); the reason, messages and status reasons as the narrative rules say;
* the FHIR view never carries a survivor value, nor does any write's answer beyond what the
  caller itself sent;
* each recipient read that showed survivor data wrote exactly one `disclosure` naming the
  referral's own consent, and no other read wrote one.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from accounts.models import Integration, User
from audit.models import AuditEvent
from clients.categories import ALL_CATEGORIES
from consent.models import Consent
from consent.policy import decide
from referrals.models import Referral, ReferralStatus
from referrals.transitions import history
from tests.conftest import actor
from tests.security.test_tenant_matrix import ROUTES, _url
from tests.security.world import (
    CLIENT_VALUES,
    MESSAGE,
    PURPOSE_DETAIL,
    REASON,
    World,
    bearer,
    integration,
    survivor_strings,
)

REPLY = "Matrix reply from the recipient: bed 9"
SENDER_NOTE = "Matrix sender status note: she fled"
RECIPIENT_NOTE = "Matrix recipient status note: waiting list"
DISPLAY = CLIENT_VALUES["identity"]["preferred_name"]

WALKED = {
    ("referral-detail", "get"),
    ("referral-list", "get"),
    ("referral-messages", "get"),
    ("referral-history", "get"),
    ("referral-fhir", "get"),
}
# Writes on referrals answer with the summary (ids and states) or echo the caller's own words.
WRITE_ANSWERS = {
    ("referral-list", "post"),
    ("referral-transition", "post"),
    ("referral-assign", "post"),
    ("referral-consent-attach", "post"),
    ("referral-messages", "post"),
}
# Survivor data of the client's own agency only; others get 404 (test_tenant_matrix.py).
OWNER_ONLY = {
    ("client-list", "get"),
    ("client-list", "post"),
    ("client-detail", "get"),
    ("client-detail", "patch"),
    ("client-search", "post"),
    ("client-erase", "post"),
    ("consent-list", "get"),
    ("consent-list", "post"),
    ("consent-revoke", "post"),
}
# A recipient reads the consent's terms; its free text only its owner (walked below too).
CONSENT_READ = {("consent-detail", "get")}
# Sign-in, the caller itself, the public directory, staff administration (agency admins: no
# client data), webhooks (ids only), audit (no values), reports (aggregates, small cells hidden).
PREFIXES_WITHOUT_SURVIVOR_DATA = ("auth-", "me", "agency-", "program-", "directory-", "service-")
PREFIXES_WITHOUT_SURVIVOR_DATA += ("staff-", "webhook-", "audit-", "report-")
NO_SURVIVOR_DATA = {("client-disclosures", "get")}  # ids, categories, purposes; no values


def test_every_route_is_classified_for_survivor_data():
    classified = WALKED | WRITE_ANSWERS | OWNER_ONLY | CONSENT_READ | NO_SURVIVOR_DATA
    unclassified = sorted(
        key
        for key in ROUTES
        if key not in classified and not key[0].startswith(PREFIXES_WITHOUT_SURVIVOR_DATA)
    )
    assert not unclassified, f"classify these in {__file__}: {unclassified}"
    stale = sorted(key for key in classified if key not in ROUTES)
    assert not stale, f"no longer routes: {stale}"


@dataclass(frozen=True)
class Reader:
    label: str
    who: User | Integration
    side: str  # sender | recipient
    clients_read: bool


@dataclass(frozen=True)
class Expect:
    categories: frozenset[str]
    narrative: bool  # the other party's free text
    own: bool  # the reader's own agency's free text


def expected(reader: Reader, referral: Referral) -> Expect:
    """The documented rule, from `decide` itself (DESIGN §2.2, docs/consent.md §2)."""
    if not reader.clients_read:
        return Expect(frozenset(), False, False)
    if reader.side == "sender":
        return Expect(frozenset(ALL_CATEGORIES), True, True)
    decision = decide(referral=referral)
    return Expect(decision.categories, decision.allowed, True)


def _shows(text: str, value: Any) -> bool:
    return str(value) in text


def _check_detail(text: str, want: Expect, reader: Reader) -> bool:
    for category, values in CLIENT_VALUES.items():
        for name, value in values.items():
            if isinstance(value, int):
                continue
            assert _shows(text, value) is (category in want.categories), (reader.label, name)
    assert _shows(text, REASON) is (want.narrative if reader.side == "recipient" else want.own)
    for other in (MESSAGE, REPLY, SENDER_NOTE, PURPOSE_DETAIL):
        assert not _shows(text, other), (reader.label, other)
    return bool(want.categories) and reader.side == "recipient"


def _theirs_and_mine(reader: Reader, want: Expect) -> tuple[bool, bool]:
    """(sender's text shown, recipient's text shown) for this reader."""
    if reader.side == "sender":
        return want.own, want.narrative
    return want.narrative, want.own


def _check_messages(text: str, want: Expect, reader: Reader) -> bool:
    sender_text, recipient_text = _theirs_and_mine(reader, want)
    assert _shows(text, MESSAGE) is sender_text, reader.label
    assert _shows(text, REPLY) is recipient_text, reader.label
    return sender_text and reader.side == "recipient"


def _check_history(text: str, want: Expect, reader: Reader) -> bool:
    sender_text, recipient_text = _theirs_and_mine(reader, want)
    assert _shows(text, SENDER_NOTE) is sender_text, reader.label
    assert _shows(text, RECIPIENT_NOTE) is recipient_text, reader.label
    return sender_text and reader.side == "recipient"


def _check_list(text: str, want: Expect, reader: Reader) -> bool:
    assert _shows(text, DISPLAY) is ("identity" in want.categories), reader.label
    others = [s for s in survivor_strings() if s != DISPLAY]
    assert not [s for s in others if s in text], reader.label
    return "identity" in want.categories and reader.side == "recipient"


def _check_nothing(text: str, want: Expect, reader: Reader) -> bool:
    assert not [s for s in survivor_strings() if s in text], reader.label
    return False


CHECKS = {
    "referral-detail": _check_detail,
    "referral-list": _check_list,
    "referral-messages": _check_messages,
    "referral-history": _check_history,
    "referral-fhir": _check_nothing,
}


def _walk(world: World, referral: Referral, readers: list[Reader]) -> None:
    referral = Referral.objects.select_related("consent", "client", "recipient_agency").get(
        pk=referral.pk
    )
    kwargs = {"referral_id": str(referral.id)}
    for reader in readers:
        want = expected(reader, referral)
        for name, check in CHECKS.items():
            url = _url(ROUTES[(name, "get")], kwargs)
            if name == "referral-list":
                url += f"?status={referral.status}"
            before = AuditEvent.objects.order_by("-id").values_list("id", flat=True).first()
            response = bearer(reader.who).get(url)
            assert response.status_code == 200, (reader.label, name, response.content[:200])
            discloses = check(response.content.decode(), want, reader)
            new = AuditEvent.objects.filter(id__gt=before or 0, action="disclosure")
            assert new.count() == int(discloses), (reader.label, name, referral.status)
            if discloses:
                assert new.get().consent_id == referral.consent_id


@pytest.fixture
def walk(world: World):  # type: ignore[no-untyped-def]
    """The world's referral with messages and status notes from both sides, and its readers."""
    referral = Referral.objects.select_related("client").get(pk=world.ids["referral"])
    sender, recipient = world.a, world.b
    history(
        actor=actor(sender.users["caseworker"]),
        referral=referral,
        source="requested",
        target="requested",
        reason=SENDER_NOTE,
    )
    as_dave = bearer(recipient.users["caseworker"])
    base = f"/api/v1/referrals/{referral.id}"
    assert as_dave.post(f"{base}/messages", {"body": REPLY}, format="json").status_code == 201
    assert as_dave.post(f"{base}/transitions", {"to": "accepted"}, format="json").status_code == 200
    moved = as_dave.post(
        f"{base}/transitions", {"to": "on-hold", "reason": RECIPIENT_NOTE}, format="json"
    )
    assert moved.status_code == 200
    narrow = sorted({"referrals:read", "referrals:write"})
    readers = [
        Reader("recipient caseworker", recipient.users["caseworker"], "recipient", True),
        Reader("recipient integration", recipient.full, "recipient", True),
        Reader(
            "recipient without clients:read",
            integration(recipient.agency, narrow),
            "recipient",
            False,
        ),
        Reader("sender caseworker", sender.users["caseworker"], "sender", True),
        Reader("sender without clients:read", integration(sender.agency, narrow), "sender", False),
    ]
    return referral, readers


def _set(referral: Referral, **fields: Any) -> None:
    Referral.objects.filter(pk=referral.pk).update(**fields)


@pytest.mark.parametrize("status", [s for s in ReferralStatus.values if s != "draft"])
def test_every_status_follows_the_decision(world, walk, status):
    referral, readers = walk
    _set(referral, status=status)
    # The decision itself, against the documented disclosing states (DESIGN §4).
    documented = {"requested", "accepted", "in-progress", "on-hold", "completed", "failed"}
    row = Referral.objects.select_related("consent", "client", "recipient_agency").get(
        pk=referral.pk
    )
    assert decide(referral=row).allowed is (status in documented)
    recipient_readers = [r for r in readers if r.side == "recipient"]
    _walk(world, referral, recipient_readers if status != "accepted" else readers)


def test_a_draft_is_the_senders_alone(world, walk):
    referral, readers = walk
    _set(referral, status="draft")
    _walk(world, referral, [r for r in readers if r.side == "sender"])
    for reader in (r for r in readers if r.side == "recipient"):
        response = bearer(reader.who).get(f"/api/v1/referrals/{referral.id}/messages")
        assert response.status_code == 404


def _consent(referral: Referral) -> Consent:
    return Consent.objects.get(pk=referral.consent_id)


def test_a_revoked_consent(world, walk):
    referral, readers = walk
    Consent.objects.filter(pk=referral.consent_id).update(
        status="revoked", revoked_at=timezone.now()
    )
    _walk(world, referral, readers)


def test_an_expired_consent(world, walk):
    referral, readers = walk
    now = timezone.now()
    Consent.objects.filter(pk=referral.consent_id).update(
        valid_from=now - timedelta(days=10), expires_at=now - timedelta(seconds=1)
    )
    _walk(world, referral, readers)


def test_another_consent_never_widens_and_an_attached_one_governs(world, walk):
    referral, readers = walk
    old = _consent(referral)
    wider = Consent.objects.create(
        client_id=old.client_id,
        agency_id=old.agency_id,
        recipient_agency_id=old.recipient_agency_id,
        categories=list(ALL_CATEGORIES),
        special_categories_acknowledged=True,
        purpose="housing",
        valid_from=old.valid_from,
        expires_at=old.expires_at,
        method="written",
        signed_by="client",
        signer_relationship="self",
        informed=True,
        status="active",
        id=uuid.uuid4(),
    )
    recipients = [r for r in readers if r.side == "recipient"]
    _walk(world, referral, recipients)  # the wider one exists, unused: nothing more shows
    _set(referral, consent_id=wider.id)
    Consent.objects.filter(pk=old.pk).update(status="revoked", revoked_at=timezone.now())
    _walk(world, referral, recipients)  # attached: immigration and health show, old revoked


def test_a_consent_whose_purpose_does_not_fit(world, walk):
    referral, readers = walk
    Consent.objects.filter(pk=referral.consent_id).update(purpose="legal_services")
    _walk(world, referral, [r for r in readers if r.side == "recipient"])


def test_write_answers_carry_no_survivor_data(world, walk):
    referral, readers = walk
    secrets = [s for s in survivor_strings() if s != MESSAGE]
    as_alice = bearer(world.a.users["caseworker"])
    as_sv = bearer(world.b.users["supervisor"])
    base = f"/api/v1/referrals/{referral.id}"
    answers = [
        as_alice.post(f"{base}/consent", {"consent_id": world.ids["consent"]}, format="json"),
        as_sv.post(
            f"{base}/assign", {"assignee_id": str(world.b.users["caseworker"].id)}, format="json"
        ),
        as_alice.post(f"{base}/messages", {"body": MESSAGE}, format="json"),
        as_sv.post(f"{base}/transitions", {"to": "in-progress"}, format="json"),
    ]
    for response in answers:
        assert 200 <= response.status_code < 300, response.content[:200]
        text = response.content.decode()
        assert not [s for s in secrets if s in text], response.request["PATH_INFO"]
    create = as_alice.post(
        "/api/v1/referrals",
        {
            "client_id": world.ids["client"],
            "recipient_agency_id": str(world.b.agency.id),
            "consent_id": world.ids["consent"],
            "service_type": "shelter",
            "reason": REASON,
        },
        format="json",
    )
    assert create.status_code == 201
    assert not [s for s in survivor_strings() if s in create.content.decode()]
    consent_url = _url(ROUTES[("consent-detail", "get")], {"consent_id": world.ids["consent"]})
    for reader in readers:
        text = bearer(reader.who).get(consent_url).content.decode()
        owner = reader.side == "sender" and reader.clients_read
        assert (PURPOSE_DETAIL in text) is owner, reader.label
