"""A model-based test of consent per referral (issue 12 item 9): hypothesis drives the API.

A `RuleBasedStateMachine` grants consents, creates referrals (sent or draft), revokes, lets
consents expire by moving the clock, attaches consents, moves referrals as either party, posts
messages and reads every path (detail, messages, history, list) as the sender, the recipient,
a recipient integration with `clients:read` and one without, in random order. It keeps a small
model of what each party may see (written from DESIGN §2.2 and §4, not from the code) and
checks every answer against it: no survivor value ever appears where the model says it must
not, every value appears where it says it must, and every recipient read that showed survivor
data is exactly one `disclosure` in the client's accounting.

`make test` runs it bounded and derandomised (a few seconds); `make fuzz` runs
`FUZZ_EXAMPLES` fresh examples of longer runs.
"""

from __future__ import annotations

import itertools
import os
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from unittest import mock

import pytest
from django.db import transaction
from django.utils import timezone
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from audit.models import AuditEvent
from audit.pseudonym import subject_ref
from clients.accounting import disclosures_qs_for
from referrals.states import RECIPIENT, SENDER, is_allowed
from tests.conftest import actor
from tests.security.world import bearer, integration

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "0") or 0)
BOUNDED = EXAMPLES == 0

SERVICES = ("shelter", "transitional_housing", "case_management", "civil_legal_aid")
PURPOSES = ("housing", "social_services", "legal_services", "safety_planning")
# DESIGN §4 / docs/consent.md, for the services and purposes drawn here.
FITS = {
    "shelter": {"housing", "safety_planning"},
    "transitional_housing": {"housing"},
    "case_management": {"social_services", "case_coordination", "safety_planning"},
    "civil_legal_aid": {"legal_services", "safety_planning"},
}
DISCLOSING = {"requested", "accepted", "in-progress", "on-hold", "completed", "failed"}
TERMINAL = {"rejected", "cancelled", "completed", "failed", "expired", "entered-in-error"}
MOVES = ("requested", "accepted", "rejected", "cancelled", "in-progress", "on-hold")
MOVES += ("completed", "failed", "entered-in-error")
GRANTABLE = ("identity", "contact", "safety")
READERS = ("alice", "dave", "partner", "narrow")  # sender, recipient user, integrations


@dataclass
class MConsent:
    id: str
    categories: frozenset[str]
    purpose: str
    expires_at: datetime
    revoked: bool = False

    def in_effect(self, now: datetime) -> bool:
        return not self.revoked and now < self.expires_at


@dataclass
class MReferral:
    id: str
    consent: MConsent
    service: str
    status: str
    reason: str
    texts: list[tuple[str, str, str]] = field(default_factory=list)  # (kind, side, text)


class Clock:
    """The real clock plus an offset the machine moves forward (mock only the clock)."""

    def __init__(self) -> None:
        self.offset = timedelta(0)
        self.real = timezone.now

    def now(self) -> datetime:
        return self.real() + self.offset


class ConsentModel(RuleBasedStateMachine):
    """Set `personas` (from the test's fixtures) before running."""

    personas: dict[str, Any] = {}

    def __init__(self) -> None:
        super().__init__()
        self.atomic = transaction.atomic()
        self.atomic.__enter__()
        self.clock = Clock()
        self.patch = mock.patch("django.utils.timezone.now", self.clock.now)
        self.patch.start()
        self.count = itertools.count()
        self.disclosures = 0
        self.consents: list[MConsent] = []
        self.model: dict[str, MReferral] = {}

    def teardown(self) -> None:
        self.patch.stop()
        transaction.set_rollback(True)
        self.atomic.__exit__(None, None, None)

    # --- set-up -----------------------------------------------------------------------------
    @initialize()
    def setup(self) -> None:
        p = self.personas
        tag = next(self.count)
        self.values = {
            "identity": {"given_name": f"Givenmx{tag}", "family_name": f"Familymx{tag}"},
            "contact": {"phone": f"555-mx-{tag}"},
            "safety": {"risk_notes": f"risk-mx-{tag}"},
            "immigration": {"status": f"imm-mx-{tag}"},
        }
        self.display = f"Givenmx{tag} Familymx{tag}"
        self.http = {name: bearer(p[name]) for name in READERS}
        self.http["erin"] = bearer(p["erin"])
        created = self.http["alice"].post("/api/v1/clients", self.values, format="json")
        assert created.status_code == 201, created.content
        self.client_id = created.json()["id"]
        self.erin = actor(p["erin"])
        # A consent and a referral sent under it, so every run has something to read.
        self.grant(categories={"identity", "contact"}, purpose="housing", days=3)
        self.create(consent=0, service="shelter", draft=False)

    def consent_at(self, index: int) -> MConsent:
        return self.consents[index % len(self.consents)]

    def referral_at(self, index: int) -> MReferral:
        return list(self.model.values())[index % len(self.model)]

    def now(self) -> datetime:
        return self.clock.now()

    def text(self, kind: str) -> str:
        return f"{kind}-mx-{next(self.count)}"

    # --- model -------------------------------------------------------------------------------
    def discloses(self, r: MReferral) -> frozenset[str]:
        """The categories the recipient may see now (DESIGN §2.2, §4)."""
        fits = r.consent.purpose in FITS[r.service]
        if r.status in DISCLOSING and r.consent.in_effect(self.now()) and fits:
            return r.consent.categories
        return frozenset()

    def sight(self, reader: str, r: MReferral) -> tuple[frozenset[str], bool, bool]:
        """(categories shown, the other party's text shown, own text shown)."""
        if reader == "alice":
            return frozenset(self.values), True, True
        if reader == "narrow":
            return frozenset(), False, False
        shown = self.discloses(r)
        return shown, bool(shown), True

    def side(self, reader: str) -> str:
        return SENDER if reader == "alice" else RECIPIENT

    # --- rules: writes -----------------------------------------------------------------------
    @rule(
        categories=st.sets(st.sampled_from(GRANTABLE), min_size=1),
        purpose=st.sampled_from(PURPOSES),
        days=st.integers(1, 5),
    )
    def grant(self, categories: set[str], purpose: str, days: int) -> None:
        expires = self.now() + timedelta(days=days)
        body = {
            "recipient_agency_id": str(self.personas["dave"].agency_id),
            "categories": sorted(categories),
            "purpose": purpose,
            "expires_at": expires.isoformat(),
            "method": "written",
            "signed_by": "client",
            "informed": True,
        }
        url = f"/api/v1/clients/{self.client_id}/consents"
        response = self.http["alice"].post(url, body, format="json")
        assert response.status_code == 201, response.content
        self.consents.append(
            MConsent(response.json()["id"], frozenset(categories), purpose, expires)
        )

    @rule(consent=st.integers(0, 9), service=st.sampled_from(SERVICES), draft=st.booleans())
    def create(self, consent: int, service: str, draft: bool) -> None:
        picked = self.consent_at(consent)
        reason = self.text("reason")
        body = {
            "client_id": self.client_id,
            "recipient_agency_id": str(self.personas["dave"].agency_id),
            "consent_id": picked.id,
            "service_type": service,
            "reason": reason,
            "draft": draft,
        }
        response = self.http["alice"].post("/api/v1/referrals", body, format="json")
        if not picked.in_effect(self.now()):
            assert response.json()["code"] == "consent_required", response.content
            return
        if picked.purpose not in FITS[service]:
            assert response.json()["code"] == "purpose_mismatch", response.content
            assert set(response.json()["allowed_purposes"]) == FITS[service]
            return
        assert response.status_code == 201, response.content
        status = "draft" if draft else "requested"
        referral = MReferral(response.json()["id"], picked, service, status, reason)
        self.model[referral.id] = referral

    @rule(index=st.integers(0, 9))
    def revoke(self, index: int) -> None:
        consent = self.consent_at(index)
        url = f"/api/v1/consents/{consent.id}/revoke"
        response = self.http["alice"].post(url, {"reason": "client asked"}, format="json")
        if consent.in_effect(self.now()):
            assert response.status_code == 200, response.content
            consent.revoked = True
        else:
            assert response.status_code == 409, response.content

    @rule(hours=st.integers(1, 96))
    def advance_clock(self, hours: int) -> None:
        self.clock.offset += timedelta(hours=hours)

    @precondition(lambda self: self.model)
    @rule(pick=st.integers(0, 9), index=st.integers(0, 9))
    def attach(self, pick: int, index: int) -> None:
        referral, consent = self.referral_at(pick), self.consent_at(index)
        url = f"/api/v1/referrals/{referral.id}/consent"
        response = self.http["alice"].post(url, {"consent_id": consent.id}, format="json")
        if referral.status in TERMINAL:
            assert response.json()["code"] == "referral_closed", response.content
        elif not consent.in_effect(self.now()):
            assert response.json()["code"] == "consent_required", response.content
        elif consent.purpose not in FITS[referral.service]:
            assert response.json()["code"] == "purpose_mismatch", response.content
        else:
            assert response.status_code == 200, response.content
            assert response.json()["consent_id"] == consent.id
            referral.consent = consent

    @precondition(lambda self: self.model)
    @rule(
        pick=st.integers(0, 9), by=st.sampled_from((SENDER, RECIPIENT)), to=st.sampled_from(MOVES)
    )
    def transition(self, pick: int, by: str, to: str) -> None:
        referral = self.referral_at(pick)
        who = "alice" if by == SENDER else "dave"
        note = self.text(f"note-{by}")
        url = f"/api/v1/referrals/{referral.id}/transitions"
        response = self.http[who].post(url, {"to": to, "reason": note}, format="json")
        if by == RECIPIENT and referral.status == "draft":
            assert response.status_code == 404, response.content
            return
        if not is_allowed(source=referral.status, target=to, party=by):
            assert response.json()["code"] == "illegal_transition", response.content
            return
        if referral.status == "draft":
            if not referral.consent.in_effect(self.now()):
                assert response.json()["code"] == "consent_required", response.content
                return
            if referral.consent.purpose not in FITS[referral.service]:
                assert response.json()["code"] == "purpose_mismatch", response.content
                return
        assert response.status_code == 200, response.content
        assert response.json()["status"] == to
        referral.status = to
        referral.texts.append(("note", by, note))

    @precondition(lambda self: self.model)
    @rule(pick=st.integers(0, 9), by=st.sampled_from((SENDER, RECIPIENT)))
    def post_message(self, pick: int, by: str) -> None:
        referral = self.referral_at(pick)
        who = "alice" if by == SENDER else "dave"
        body = self.text(f"msg-{by}")
        url = f"/api/v1/referrals/{referral.id}/messages"
        response = self.http[who].post(url, {"body": body}, format="json")
        if referral.status == "draft":
            assert response.status_code == (409 if by == SENDER else 404), response.content
            return
        if by == SENDER and not self.discloses(referral):
            assert response.status_code == 409, response.content
            expected = (
                "referral_closed" if referral.status not in DISCLOSING else "consent_required"
            )
            assert response.json()["code"] == expected
            return
        assert response.status_code == 201, response.content
        referral.texts.append(("msg", by, body))

    # --- rules: reads ------------------------------------------------------------------------
    def _disclosures(self) -> int:
        return AuditEvent.objects.filter(
            subject_ref=subject_ref(self.client_id, agency_id=self.erin.agency_id),
            action="disclosure",
        ).count()

    @precondition(lambda self: self.model)
    @rule(pick=st.integers(0, 9), reader=st.sampled_from(READERS))
    def read_detail(self, pick: int, reader: str) -> None:
        referral = self.referral_at(pick)
        before = self._disclosures()
        response = self.http[reader].get(f"/api/v1/referrals/{referral.id}")
        if reader != "alice" and referral.status == "draft":
            assert response.status_code == 404
            return
        assert response.status_code == 200, response.content
        shown, theirs, own = self.sight(reader, referral)
        text = response.content.decode()
        for category, values in self.values.items():
            for value in values.values():
                assert (value in text) is (category in shown), (reader, category, referral)
        assert (referral.reason in text) is (own if reader == "alice" else theirs)
        notes = [(by, value) for kind, by, value in referral.texts if kind == "note"]
        if notes:  # the last status change's reason is the detail's `status_reason`
            by, value = notes[-1]
            assert (value in text) is (own if by == self.side(reader) else theirs)
        self._expect_disclosure(before, reader, bool(shown), referral)

    @precondition(lambda self: self.model)
    @rule(
        pick=st.integers(0, 9),
        reader=st.sampled_from(READERS),
        kind=st.sampled_from(("msg", "note")),
    )
    def read_texts(self, pick: int, reader: str, kind: str) -> None:
        referral = self.referral_at(pick)
        before = self._disclosures()
        path = "messages" if kind == "msg" else "history"
        response = self.http[reader].get(f"/api/v1/referrals/{referral.id}/{path}")
        if reader != "alice" and referral.status == "draft":
            assert response.status_code == 404
            return
        assert response.status_code == 200, response.content
        shown, theirs, own = self.sight(reader, referral)
        text = response.content.decode()
        shown_sender_text = False
        for text_kind, by, value in referral.texts:
            if text_kind != kind:
                continue
            visible = own if by == self.side(reader) else theirs
            assert (value in text) is visible, (reader, by, value, referral)
            shown_sender_text |= visible and by == SENDER
        self._expect_disclosure(before, reader, shown_sender_text, referral)

    @rule(reader=st.sampled_from(READERS))
    def read_list(self, reader: str) -> None:
        before = self._disclosures()
        response = self.http[reader].get("/api/v1/referrals?page_size=100")
        assert response.status_code == 200, response.content
        items = {item["id"]: item for item in response.json()["results"]}
        named = 0
        for referral in self.model.values():
            item = items.get(referral.id)
            if reader != "alice" and referral.status == "draft":
                assert item is None
                continue
            assert item is not None, referral
            shown, _, _ = self.sight(reader, referral)
            assert (item["client_display_name"] == self.display) is ("identity" in shown)
            named += reader in ("dave", "partner") and "identity" in shown
        assert self._disclosures() - before == named
        self.disclosures += named

    def _expect_disclosure(self, before: int, reader: str, shown: bool, r: MReferral) -> None:
        expected = int(shown and reader in ("dave", "partner"))
        assert self._disclosures() - before == expected, (reader, r)
        if expected:
            event = AuditEvent.objects.filter(action="disclosure").order_by("-id").first()
            assert event is not None and str(event.consent_id) == r.consent.id
        self.disclosures += expected

    @invariant()
    def every_recipient_read_is_in_the_accounting(self) -> None:
        if hasattr(self, "client_id"):
            rows = disclosures_qs_for(actor=self.erin, client_id=self.client_id)
            assert rows.count() == self.disclosures


@pytest.fixture
def unthrottled(settings):  # type: ignore[no-untyped-def]
    settings.THROTTLE_ACTOR_RATE = settings.THROTTLE_ANON_RATE = "100000/min"


def test_what_each_party_sees_follows_the_model(alice, dave, erin, safehouse, unthrottled):
    ConsentModel.personas = {
        "alice": alice,
        "dave": dave,
        "erin": erin,
        "partner": integration(safehouse, ["clients:read", "referrals:read"]),
        "narrow": integration(safehouse, ["referrals:read", "referrals:write"]),
    }
    run_state_machine_as_test(
        ConsentModel,
        settings=settings(
            max_examples=EXAMPLES or 8,
            stateful_step_count=40 if EXAMPLES else 12,
            derandomize=BOUNDED,
            deadline=None,
            database=None,
            suppress_health_check=list(HealthCheck),
        ),
    )
