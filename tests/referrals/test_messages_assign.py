"""Messages between the two agencies, and assignment by the recipient's supervisor."""

from __future__ import annotations

import pytest

from audit.models import AuditEvent
from referrals.models import Referral, ReferralMessage
from tests.factories import UserFactory
from tests.referrals.conftest import revoke


@pytest.fixture
def sue(safehouse):  # type: ignore[no-untyped-def]
    """Safe Harbor Housing's supervisor."""
    return UserFactory(username="sue", agency=safehouse, role="supervisor")


def test_messages_flow_both_ways_sealed_and_audited(api, alice, dave, referral):
    url = f"/api/v1/referrals/{referral['id']}/messages"
    assert (
        api(alice).post(url, {"body": "Can you take her tonight?"}, format="json").status_code
        == 201
    )
    reply = api(dave).post(url, {"body": "Yes, bed 4."}, format="json")
    assert reply.status_code == 201 and reply.json()["body"] == "Yes, bed 4."
    thread = api(dave).get(url).json()["results"]
    assert [m["body"] for m in thread] == ["Yes, bed 4.", "Can you take her tonight?"]
    assert all(b"bed 4" not in bytes(m.body) for m in ReferralMessage.objects.all())
    assert AuditEvent.objects.filter(action="referral.message").count() == 2
    # dave was shown a message alice's agency wrote: a disclosure, in the accounting.
    read = AuditEvent.objects.get(action="disclosure")
    assert read.reason == "messages" and read.actor_id == str(dave.id)
    assert not AuditEvent.objects.filter(action="referral.messages.read").exists()


def test_a_posted_message_names_its_agency_without_another_query(api, alice, dave, referral):
    """The answer names the poster's agency from the referral lookup (both parties' agencies
    are in it): no SELECT of the agency after the commit, on either side."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    url = f"/api/v1/referrals/{referral['id']}/messages"
    for who in (alice, dave):
        with CaptureQueriesContext(connection) as ctx:
            answer = api(who).post(url, {"body": "Checking in (synthetic)"}, format="json")
        assert answer.status_code == 201, answer.content
        agency = answer.json()["agency"]
        assert agency["id"] == str(who.agency_id) == answer.json()["agency_id"]
        assert agency["name"] == who.agency.name
        asked = [q["sql"] for q in ctx.captured_queries if "agencies_agency" in q["sql"]]
        assert not [q for q in asked if q.lstrip().startswith('SELECT "agencies_agency"')], asked


def test_the_recipient_may_still_post_after_revocation(api, dave, ana_consent, referral):
    revoke(ana_consent)
    url = f"/api/v1/referrals/{referral['id']}/messages"
    assert (
        api(dave).post(url, {"body": "Closing: consent withdrawn."}, format="json").status_code
        == 201
    )


def test_a_draft_cannot_carry_messages(api, alice, send):
    draft = send(draft=True)
    response = api(alice).post(
        f"/api/v1/referrals/{draft['id']}/messages", {"body": "x"}, format="json"
    )
    assert response.status_code == 409 and response.json()["code"] == "referral_draft"


def test_an_empty_or_unknown_message_field_is_400(api, dave, referral):
    url = f"/api/v1/referrals/{referral['id']}/messages"
    assert api(dave).post(url, {"body": ""}, format="json").status_code == 400
    assert api(dave).post(url, {"body": "x", "to": "y"}, format="json").status_code == 400


def test_a_message_retry_is_not_duplicated(api, dave, referral):
    url = f"/api/v1/referrals/{referral['id']}/messages"
    first = api(dave).post(url, {"body": "once"}, format="json", HTTP_IDEMPOTENCY_KEY="m-1")
    again = api(dave).post(url, {"body": "once"}, format="json", HTTP_IDEMPOTENCY_KEY="m-1")
    assert first.json()["id"] == again.json()["id"] and again.json()["body"] == "once"
    assert ReferralMessage.objects.count() == 1


def test_the_recipient_supervisor_assigns_to_their_caseworker(api, sue, dave, referral):
    url = f"/api/v1/referrals/{referral['id']}/assign"
    response = api(sue).post(url, {"assignee_id": str(dave.id)}, format="json")
    assert response.status_code == 200, response.content
    assert response.json()["assignee_id"] == str(dave.id) and response.json()["version"] == 2
    assert AuditEvent.objects.filter(action="referral.assign").count() == 1


def test_the_assignee_must_work_at_the_recipient(api, sue, alice, referral):
    response = api(sue).post(
        f"/api/v1/referrals/{referral['id']}/assign", {"assignee_id": str(alice.id)}, format="json"
    )
    assert response.status_code == 400 and response.json()["errors"][0]["field"] == "assignee_id"


def test_the_sender_supervisor_and_recipient_caseworkers_cannot_assign(api, sam, dave, referral):
    url = f"/api/v1/referrals/{referral['id']}/assign"
    assert api(sam).post(url, {"assignee_id": str(dave.id)}, format="json").status_code == 403
    assert api(dave).post(url, {"assignee_id": str(dave.id)}, format="json").status_code == 403
    assert Referral.objects.get(pk=referral["id"]).assignee_id is None


def test_a_closed_referral_cannot_be_assigned(api, sue, dave, referral):
    Referral.objects.filter(pk=referral["id"]).update(status="completed")
    response = api(sue).post(
        f"/api/v1/referrals/{referral['id']}/assign", {"assignee_id": str(dave.id)}, format="json"
    )
    assert response.status_code == 409 and response.json()["code"] == "referral_closed"
