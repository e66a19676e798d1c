"""The consent decision: time matrix, revocation, union, special categories, fail closed."""

from __future__ import annotations

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


def test_it_permits_nothing_without_consent(client_row, safehouse):
    decision = decide(client=client_row, recipient_agency=safehouse, at=NOW)
    assert decision.categories == frozenset()
    assert decision.reason == "no_consent"
    assert not decision.permits("identity")


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
    decision = decide(client=client_row, recipient_agency=safehouse, at=NOW + offset)
    assert decision.reason == reason
    assert decision.permits("identity") is permitted
    assert consent_is_active(consent, NOW + offset) is permitted
    assert decision.consents == ((consent,) if permitted else ())


def test_it_rejects_revoked_consent(client_row, safehouse):
    grant(client_row, safehouse, status=ConsentStatus.REVOKED, revoked_at=NOW)
    decision = decide(client=client_row, recipient_agency=safehouse, at=NOW + timedelta(days=1))
    assert (decision.categories, decision.reason) == (frozenset(), "revoked")


def test_it_unions_categories_across_active_consents(client_row, safehouse):
    one = grant(client_row, safehouse, categories=["identity"])
    two = grant(client_row, safehouse, categories=["contact", "demographics"])
    decision = decide(client=client_row, recipient_agency=safehouse, at=NOW + timedelta(hours=1))
    assert decision.categories == {"identity", "contact", "demographics"}
    assert set(decision.consents) == {one, two}


def test_consent_for_one_recipient_says_nothing_about_another(client_row, safehouse, harbor):
    grant(client_row, safehouse)
    assert decide(client=client_row, recipient_agency=harbor, at=NOW).reason == "no_consent"
    assert decide(client=client_row, recipient_agency=harbor.id, at=NOW).categories == frozenset()


def test_special_categories_need_acknowledgement(client_row, safehouse, harbor):
    grant(client_row, safehouse, categories=["identity", "health"])
    grant(
        client_row, harbor, categories=["identity", "health"], special_categories_acknowledged=True
    )
    assert decide(client=client_row, recipient_agency=safehouse, at=NOW).categories == {"identity"}
    assert decide(client=client_row, recipient_agency=harbor, at=NOW).permits("health")


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
    decision = decide(client=client_row, recipient_agency=safehouse, at=NOW + timedelta(hours=1))
    assert (decision.categories, decision.reason) == (frozenset(), reason)


def test_unknown_status_is_refused_by_the_database_and_the_policy(client_row, safehouse):
    consent = grant(client_row, safehouse)
    consent.status = "paused"  # the CHECK constraint stops this reaching the table
    assert consent_state(consent, NOW) == "unknown_status"
    assert not consent_is_active(consent, NOW)


def test_a_refusal_does_not_block_another_consent(client_row, safehouse):
    grant(client_row, safehouse, status=ConsentStatus.REFUSED, expires_at=None)
    grant(client_row, safehouse, categories=["contact"])
    decision = decide(client=client_row, recipient_agency=safehouse, at=NOW)
    assert decision.categories == {"contact"}


def test_erased_client_and_inactive_recipient_permit_nothing(client_row, safehouse):
    grant(client_row, safehouse)
    safehouse.is_active = False
    safehouse.save(update_fields=["is_active"])
    assert (
        decide(client=client_row, recipient_agency=safehouse, at=NOW).reason == "recipient_inactive"
    )
    safehouse.is_active = True
    safehouse.save(update_fields=["is_active"])
    client_row.erased_at = NOW
    assert decide(client=client_row, recipient_agency=safehouse, at=NOW).reason == "client_erased"
