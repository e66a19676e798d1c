"""What a recipient sees, what it is told on revocation, and the expiry bookkeeping."""

from __future__ import annotations

from datetime import timedelta

from django.core.management import call_command
from django.utils import timezone

from audit.models import AuditEvent
from consent.models import Consent
from consent.services import consent_expire_due
from core.actor import system_actor
from referrals.models import Referral
from webhooks.models import OutboxEvent


def grant(api, alice, person, body):  # type: ignore[no-untyped-def]
    response = api(alice).post(f"/api/v1/clients/{person.id}/consents", body, format="json")
    assert response.status_code == 201, response.content
    return Consent.objects.get(pk=response.json()["id"])


def refer(consent: Consent, status: str = "requested") -> Referral:
    return Referral.objects.create(
        sender_agency=consent.agency,
        recipient_agency=consent.recipient_agency,
        client=consent.client,
        consent=consent,
        service_type="transitional_housing",
        status=status,
    )


def test_recipient_reads_metadata_only_when_a_referral_relies_on_it(
    api, alice, dave, carol, person, grant_body, make_integration, safehouse
):
    consent = grant(api, alice, person, grant_body())
    detail = f"/api/v1/consents/{consent.id}"
    assert api(dave).get(detail).status_code == 404  # no referral yet
    refer(consent, status="draft")
    assert api(dave).get(detail).status_code == 404  # a draft never reached the recipient
    refer(consent)
    data = api(dave).get(detail).json()
    assert data["id"] == str(consent.id) and data["in_effect"] is True
    assert "purpose_detail" not in data and "revoke_reason" not in data
    partner = make_integration(safehouse, scopes=["referrals:read"])
    assert api(partner).get(detail).status_code == 200
    assert api(carol).get(detail).status_code == 404  # another agency entirely
    assert api(dave).get(f"/api/v1/clients/{person.id}/consents").status_code == 404
    revoke = api(dave).post(f"{detail}/revoke", {"reason": "no"}, format="json")
    assert revoke.status_code == 404


def test_revocation_writes_an_outbox_event_for_the_recipient(
    api, alice, person, grant_body, safehouse
):
    consent = grant(api, alice, person, grant_body())
    referral = refer(consent)
    response = api(alice).post(
        f"/api/v1/consents/{consent.id}/revoke", {"reason": "Client changed mind"}, format="json"
    )
    assert response.status_code == 200, response.content
    event = OutboxEvent.objects.get(type="consent.revoked")
    assert event.agency_id == safehouse.id
    assert event.data["consent_id"] == str(consent.id)
    assert event.data["referral_ids"] == [str(referral.id)]
    assert event.data["cause"] == "revoked"
    assert "changed mind" not in str(event.data)


def test_revocation_without_referrals_emits_nothing(api, alice, person, grant_body):
    consent = grant(api, alice, person, grant_body())
    api(alice).post(f"/api/v1/consents/{consent.id}/revoke", {"reason": "x"}, format="json")
    assert not OutboxEvent.objects.filter(type="consent.revoked").exists()


def test_expire_job_records_only_what_time_already_decided(
    api, alice, person, grant_body, safehouse
):
    due = grant(api, alice, person, grant_body())
    live = grant(api, alice, person, grant_body())
    refer(due)
    later = due.expires_at + timedelta(seconds=1)
    Consent.objects.filter(pk=live.pk).update(expires_at=later + timedelta(days=1))
    assert consent_expire_due(actor=system_actor("test"), now=later) == 1
    due.refresh_from_db()
    live.refresh_from_db()
    assert (due.status, live.status) == ("expired", "active")
    assert [h.to_status for h in due.history.all()] == ["active", "expired"]
    event = AuditEvent.objects.get(action="consent.expire")
    assert event.consent_id == due.pk and event.target_agency_id == safehouse.id
    assert OutboxEvent.objects.get(type="consent.revoked").data["cause"] == "expired"
    assert consent_expire_due(actor=system_actor("test"), now=later) == 0


def test_expire_consents_command(api, alice, person, grant_body, capsys):
    consent = grant(api, alice, person, grant_body())
    Consent.objects.filter(pk=consent.pk).update(
        valid_from=timezone.now() - timedelta(days=2),
        expires_at=timezone.now() - timedelta(days=1),
    )
    call_command("expire_consents")
    assert "expired 1 consent(s)" in capsys.readouterr().out
    assert Consent.objects.get(pk=consent.pk).status == "expired"


def test_referrals_register_as_the_holder_of_client_data(api, alice, person, grant_body):
    """Clients and consent ask `clients.recipients`; the referrals app must have registered."""
    from clients.recipients import recipients_of, recipients_registered
    from referrals import recipients

    assert recipients.recipients_of in recipients_registered()
    consent = grant(api, alice, person, grant_body())
    draft, sent = refer(consent, status="draft"), refer(consent)
    expected = {consent.recipient_agency_id: [str(sent.id)]}
    assert recipients_of(consent=consent) == expected
    assert recipients_of(client=person) == expected
    assert str(draft.id) not in str(recipients_of(client=person))
