"""The accounting of disclosures: per client, for the client's own agency, from the audit log."""

from __future__ import annotations

from datetime import timedelta

from django.db import connection
from django.test.utils import CaptureQueriesContext

from audit.models import AuditEvent
from tests.referrals.conftest import ANA


def _accounting(api, who, client_id):  # type: ignore[no-untyped-def]
    return api(who).get(f"/api/v1/clients/{client_id}/disclosures")


def test_every_recipient_read_appears_in_the_accounting(
    api, dave, erin, ana, ana_consent, referral
):
    api(dave).get(f"/api/v1/referrals/{referral['id']}")
    api(dave).get(f"/api/v1/referrals/{referral['id']}")
    response = _accounting(api, erin, ana.id)
    assert response.status_code == 200, response.content
    rows = response.json()["results"]
    assert len(rows) == 2
    row = rows[0]
    assert row["recipient_agency"]["name"] == "Safe Harbor Housing"
    assert row["categories"] == ["contact", "identity"]
    assert row["purpose"] == "housing"
    assert row["consent_id"] == str(ana_consent.id)
    assert row["referral_id"] == referral["id"]
    text = response.content.decode()
    assert all(str(v) not in text for v in ANA.values())  # compliance officers see no PII
    assert AuditEvent.objects.filter(action="client.disclosures.read").count() == 1


def test_caseworkers_and_supervisors_may_read_it_too(api, alice, sam, ana, referral):
    for who in (alice, sam):
        assert _accounting(api, who, ana.id).status_code == 200


def test_reads_by_the_sender_are_not_disclosures(api, alice, erin, ana, referral):
    api(alice).get(f"/api/v1/referrals/{referral['id']}")
    assert _accounting(api, erin, ana.id).json()["results"] == []


def test_it_covers_six_years_and_more(api, dave, erin, ana, referral):
    """No time cut: a disclosure recorded seven years ago is still listed."""
    from types import SimpleNamespace
    from unittest import mock

    from django.utils import timezone

    long_ago = timezone.now() - timedelta(days=7 * 366)
    clock = SimpleNamespace(now=lambda: long_ago, datetime=timezone.datetime)
    with mock.patch("audit.services.timezone", clock):  # mock only the audit clock
        api(dave).get(f"/api/v1/referrals/{referral['id']}")
    rows = _accounting(api, erin, ana.id).json()["results"]
    assert len(rows) == 1
    assert rows[0]["occurred_at"].startswith(str(long_ago.year))


def test_other_agencies_and_other_roles_are_refused(api, dave, carol, adam, anon, ana, referral):
    assert _accounting(api, dave, ana.id).status_code == 404  # the recipient
    assert _accounting(api, carol, ana.id).status_code == 404  # a bystander
    assert _accounting(api, adam, ana.id).status_code == 403  # agency admin: no role
    assert anon.get(f"/api/v1/clients/{ana.id}/disclosures").status_code == 401


def test_the_accounting_costs_a_constant_number_of_queries(api, dave, erin, ana, send):
    first = send()
    api(dave).get(f"/api/v1/referrals/{first['id']}")
    client = api(erin)
    with CaptureQueriesContext(connection) as one:
        client.get(f"/api/v1/clients/{ana.id}/disclosures")
    for _ in range(5):
        api(dave).get(f"/api/v1/referrals/{send()['id']}")
    with CaptureQueriesContext(connection) as six:
        body = client.get(f"/api/v1/clients/{ana.id}/disclosures").json()
    assert len(body["results"]) == 6
    assert len(six.captured_queries) == len(one.captured_queries)
