"""The consent decision: time matrix, revocation, one consent per referral (no union), purpose
fit, disclosing states, special categories, fail closed."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import pytest
from django.utils import timezone

from clients.models import Client
from consent.models import Consent, ConsentStatus
from consent.policy import consent_is_active, consent_state, decide

NOW = timezone.now().replace(microsecond=0)


@pytest.fixture
def client_row(eastside, alice):  # type: ignore[no-untyped-def]
    return Client.objects.create(agency=eastside, created_by=alice)


def grant(client, recipient, **over):  # type: ignore[no-untyped-def]
    fields = {
        "client": client,
        "agency": client.agency,
        "recipient_agency": recipient,
        "categories": ["identity", "contact"],
        "purpose": "housing",
        "valid_from": NOW,
        "expires_at": NOW + timedelta(days=30),
        "method": "written",
        "signed_by": "client",
        "signer_relationship": "self",
        "informed": True,
        "status": ConsentStatus.ACTIVE,
    }
    fields.update(over)
    return Consent.objects.create(**fields)


@dataclass
class Held:
    """A referral as `decide` sees it (its consent, client, recipient, service, status)."""

    consent: Consent
    service_type: str = "transitional_housing"
    status: str = "requested"

    @property
    def client(self):  # type: ignore[no-untyped-def]
        return self.consent.client

    @property
    def recipient_agency(self):  # type: ignore[no-untyped-def]
        return self.consent.recipient_agency


def test_it_takes_exactly_one_of_a_referral_or_a_consent(client_row, safehouse):
    consent = grant(client_row, safehouse)
    with pytest.raises(TypeError):
        decide()
    with pytest.raises(TypeError):
        decide(referral=Held(consent), consent=consent)


def test_a_referral_whose_consent_is_not_this_clients_to_this_recipient_gets_nothing(
    client_row, safehouse, harbor
):
    other = grant(client_row, harbor)
    held = Held(grant(client_row, safehouse))
    held.consent = other  # as a bug would: the referral names another recipient's consent
    decision = decide(referral=_Mismatched(held, safehouse), at=NOW)
    assert (decision.categories, decision.reason) == (frozenset(), "no_consent")


@pytest.mark.parametrize(
    ("offset", "reason", "permitted"),
    [
        (timedelta(seconds=-1), "not_yet_valid", False),
        (timedelta(0), "permitted", True),
        (timedelta(days=15), "permitted", True),
        (timedelta(days=30, seconds=-1), "permitted", True),
        (timedelta(days=30), "expired", False),
        (timedelta(days=30, seconds=1), "expired", False),
    ],
)
def test_time_matrix(client_row, safehouse, offset, reason, permitted):
    consent = grant(client_row, safehouse)
    for decision in (
        decide(consent=consent, at=NOW + offset),
        decide(referral=Held(consent), at=NOW + offset),
    ):
        assert decision.reason == reason
        assert decision.permits("identity") is permitted
        assert decision.consent == consent
    assert consent_is_active(consent, NOW + offset) is permitted


def test_it_rejects_revoked_consent(client_row, safehouse):
    consent = grant(client_row, safehouse, status=ConsentStatus.REVOKED, revoked_at=NOW)
    decision = decide(referral=Held(consent), at=NOW + timedelta(days=1))
    assert (decision.categories, decision.reason) == (frozenset(), "revoked")
    assert decision.consent == consent


def test_each_referral_follows_its_own_consent_and_no_other(client_row, safehouse):
    """No union: a second active consent to the same recipient never widens a referral."""
    one = grant(client_row, safehouse, categories=["identity"])
    two = grant(client_row, safehouse, categories=["contact", "safety"], purpose="safety_planning")
    at = NOW + timedelta(hours=1)
    assert decide(referral=Held(one), at=at).categories == {"identity"}
    assert decide(referral=Held(one), at=at).consent == one
    assert decide(referral=Held(two, service_type="shelter"), at=at).categories == {
        "contact",
        "safety",
    }
    Consent.objects.filter(pk=one.pk).update(status=ConsentStatus.REVOKED, revoked_at=NOW)
    one.refresh_from_db()
    assert decide(referral=Held(one), at=at).categories == frozenset()  # `two` does not step in


def test_the_purpose_must_fit_the_service(client_row, safehouse):
    consent = grant(client_row, safehouse, purpose="social_services")
    decision = decide(referral=Held(consent, service_type="transitional_housing"), at=NOW)
    assert (decision.categories, decision.reason) == (frozenset(), "purpose_mismatch")
    assert decide(referral=Held(consent, service_type="case_management"), at=NOW).allowed
    assert decide(consent=consent, service_type="rental_assistance", at=NOW).reason == (
        "purpose_mismatch"
    )
    assert decide(consent=consent, at=NOW).allowed  # no service named: the consent alone


@pytest.mark.parametrize(
    ("status", "discloses"),
    [
        ("draft", False),
        ("requested", True),
        ("accepted", True),
        ("in-progress", True),
        ("on-hold", True),
        ("completed", True),
        ("failed", True),
        ("rejected", False),
        ("cancelled", False),
        ("expired", False),
        ("entered-in-error", False),
        ("paused", False),  # unknown: fail closed
    ],
)
def test_only_disclosing_states_disclose(client_row, safehouse, status, discloses):
    decision = decide(referral=Held(grant(client_row, safehouse), status=status), at=NOW)
    assert decision.allowed is discloses
    assert decision.reason == ("permitted" if discloses else "referral_state")


def test_special_categories_need_acknowledgement(client_row, safehouse, harbor):
    plain = grant(client_row, safehouse, categories=["identity", "health"])
    acknowledged = grant(
        client_row, harbor, categories=["identity", "health"], special_categories_acknowledged=True
    )
    assert decide(referral=Held(plain), at=NOW).categories == {"identity"}
    assert decide(referral=Held(acknowledged), at=NOW).permits("health")


@pytest.mark.parametrize(
    ("over", "reason"),
    [
        ({"informed": False}, "not_informed"),
        ({"status": ConsentStatus.EXPIRED}, "expired"),
        ({"status": ConsentStatus.REFUSED, "expires_at": None}, "refused"),
    ],
)
def test_it_fails_closed(client_row, safehouse, over, reason):
    consent = grant(client_row, safehouse)
    Consent.objects.filter(pk=consent.pk).update(**over)  # bypass the service, as a bug would
    consent.refresh_from_db()
    decision = decide(referral=Held(consent), at=NOW + timedelta(hours=1))
    assert (decision.categories, decision.reason) == (frozenset(), reason)


def test_unknown_status_is_refused_by_the_database_and_the_policy(client_row, safehouse):
    consent = grant(client_row, safehouse)
    consent.status = "paused"  # the CHECK constraint stops this reaching the table
    assert consent_state(consent, NOW) == "unknown_status"
    assert not consent_is_active(consent, NOW)


def test_a_refusal_does_not_block_another_consent(client_row, safehouse):
    refused = grant(client_row, safehouse, status=ConsentStatus.REFUSED, expires_at=None)
    other = grant(client_row, safehouse, categories=["contact"])
    assert decide(referral=Held(refused), at=NOW).reason == "refused"
    assert decide(referral=Held(other), at=NOW).categories == {"contact"}


def test_erased_client_and_inactive_recipient_permit_nothing(client_row, safehouse):
    held = Held(grant(client_row, safehouse))
    safehouse.is_active = False
    safehouse.save(update_fields=["is_active"])
    held.consent.recipient_agency.is_active = False
    assert decide(referral=held, at=NOW).reason == "recipient_inactive"
    held.consent.recipient_agency.is_active = True
    held.consent.client.erased_at = NOW
    decision = decide(referral=held, at=NOW)
    assert (decision.reason, decision.consent) == ("client_erased", None)


@dataclass
class _Mismatched:
    """A referral whose recipient differs from its consent's (only a bug could build one)."""

    held: Held
    recipient_agency: object
    service_type: str = "transitional_housing"
    status: str = "requested"

    @property
    def consent(self):  # type: ignore[no-untyped-def]
        return self.held.consent

    @property
    def client(self):  # type: ignore[no-untyped-def]
        return self.held.client


def test_withheld_bases_say_why_each_category_is_not_shown(client_row, safehouse):
    from consent.policy import withheld_bases

    consent = grant(client_row, safehouse, categories=["identity", "immigration"])
    bases = withheld_bases(decide(consent=consent, at=NOW + timedelta(days=1)))
    assert "identity" not in bases
    assert bases["immigration"] == "special_not_acknowledged"
    assert bases["contact"] == bases["safety"] == "not_consented"

    consent.status, consent.revoked_at = ConsentStatus.REVOKED, NOW
    consent.save()
    ended = withheld_bases(decide(consent=consent, at=NOW + timedelta(days=1)))
    assert set(ended.values()) == {"revoked"} and "identity" in ended


def test_withheld_bases_when_only_unacknowledged_special_categories_are_named(
    client_row, safehouse
):
    from consent.policy import withheld_bases

    consent = grant(client_row, safehouse, categories=["health"])
    decision = decide(consent=consent, at=NOW + timedelta(days=1))
    assert decision.reason == "no_categories"
    bases = withheld_bases(decision)
    assert bases["health"] == "special_not_acknowledged" and bases["identity"] == "not_consented"
