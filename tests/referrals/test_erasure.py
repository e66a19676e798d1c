"""Erasing a client reaches the referrals about them and tells each recipient to purge."""

from __future__ import annotations

from webhooks.models import OutboxEvent


def test_erasure_notifies_recipients_and_blanks_the_referral(
    api, sam, dave, ana, referral, safehouse
):
    response = api(sam).post(f"/api/v1/clients/{ana.id}/erase", {"confirm": True}, format="json")
    assert response.status_code == 200, response.content

    event = OutboxEvent.objects.get(type="client.erased")
    assert event.agency_id == safehouse.id
    assert event.data == {"client_id": str(ana.id), "referral_ids": [referral["id"]]}

    seen = api(dave).get(f"/api/v1/referrals/{referral['id']}").json()
    assert seen["status"] == "requested"
    assert not any(seen["client"].get(c) for c in ("identity", "contact"))
    assert "Ana" not in str(seen)


def test_erasing_a_client_without_referrals_notifies_nobody(api, sam, ana):
    response = api(sam).post(f"/api/v1/clients/{ana.id}/erase", {"confirm": True}, format="json")
    assert response.status_code == 200
    assert not OutboxEvent.objects.filter(type="client.erased").exists()
