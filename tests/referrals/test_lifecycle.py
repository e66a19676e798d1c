"""End to end across three agencies: Eastside sends, Safe Harbor answers, Harbor sees nothing."""

from __future__ import annotations

import json

from audit.models import AuditEvent
from referrals.models import Referral, ReferralMessage, ReferralTransition
from tests.referrals.conftest import ANA, SECRET_REASON
from webhooks.models import OutboxEvent

SURVIVOR_VALUES = [*ANA.values(), SECRET_REASON, "canary message body"]


def _no_survivor_values(blob: str) -> None:
    for value in SURVIVOR_VALUES:
        assert value not in blob, f"survivor value {value!r} leaked"


def test_the_loop_closes_between_sender_and_recipient(api, alice, dave, referral):
    rid = referral["id"]
    assert referral["status"] == "requested"
    assert referral["response_deadline"]

    inbox = api(dave).get("/api/v1/referrals?box=inbox").json()["results"]
    assert [r["id"] for r in inbox] == [rid]

    seen = api(dave).get(f"/api/v1/referrals/{rid}").json()
    assert seen["party"] == "recipient"
    assert seen["client"]["identity"]["given_name"] == "Ana"
    assert seen["client"]["contact"]["phone"] == ANA["phone"]
    assert "safety" not in seen["client"] and "immigration" not in seen["client"]
    assert seen["reason"] == SECRET_REASON
    assert seen["allowed_transitions"] == ["accepted", "rejected", "cancelled"]

    for step in ("accepted", "in-progress"):
        response = api(dave).post(
            f"/api/v1/referrals/{rid}/transitions", {"to": step}, format="json"
        )
        assert response.status_code == 200, response.content
        assert response.json()["status"] == step

    posted = api(dave).post(
        f"/api/v1/referrals/{rid}/messages", {"body": "canary message body"}, format="json"
    )
    assert posted.status_code == 201, posted.content
    thread = api(alice).get(f"/api/v1/referrals/{rid}/messages").json()["results"]
    assert [m["body"] for m in thread] == ["canary message body"]
    assert thread[0]["agency"]["name"] == "Safe Harbor Housing"

    done = api(dave).post(
        f"/api/v1/referrals/{rid}/transitions", {"to": "completed"}, format="json"
    )
    assert done.json()["status"] == "completed" and done.json()["version"] == 4

    mine = api(alice).get(f"/api/v1/referrals/{rid}").json()
    assert mine["party"] == "sender" and mine["status"] == "completed"
    assert mine["client"]["safety"]["risk_notes"] == ANA["risk_notes"]
    history = ReferralTransition.objects.filter(referral_id=rid).order_by("created_at")
    assert [(t.from_status, t.to_status) for t in history] == [
        ("", "requested"),
        ("requested", "accepted"),
        ("accepted", "in-progress"),
        ("in-progress", "completed"),
    ]


def test_a_bystander_agency_gets_404_on_everything(api, carol, referral):
    rid = referral["id"]
    bystander = api(carol)
    assert bystander.get("/api/v1/referrals").json()["results"] == []
    for method, path, body in [
        ("get", f"/api/v1/referrals/{rid}", None),
        ("get", f"/api/v1/referrals/{rid}/fhir", None),
        ("get", f"/api/v1/referrals/{rid}/messages", None),
        ("post", f"/api/v1/referrals/{rid}/messages", {"body": "hello"}),
        ("post", f"/api/v1/referrals/{rid}/transitions", {"to": "accepted"}),
    ]:
        response = getattr(bystander, method)(path, body, format="json")
        assert response.status_code == 404, (method, path, response.content)
        assert response["Content-Type"].startswith("application/problem+json")
    assert Referral.objects.get(pk=rid).status == "requested"


def test_a_bystander_supervisor_cannot_assign(api, hank, referral):
    response = api(hank).post(
        f"/api/v1/referrals/{referral['id']}/assign", {"assignee_id": str(hank.id)}, format="json"
    )
    assert response.status_code == 404


def test_storage_outbox_and_audit_hold_no_survivor_values(api, alice, dave, referral):
    rid = referral["id"]
    api(dave).get(f"/api/v1/referrals/{rid}")
    api(dave).post(
        f"/api/v1/referrals/{rid}/messages", {"body": "canary message body"}, format="json"
    )
    api(dave).post(
        f"/api/v1/referrals/{rid}/transitions",
        {"to": "rejected", "reason": SECRET_REASON},
        format="json",
    )
    outbox = list(OutboxEvent.objects.values("type", "data"))
    assert {e["type"] for e in outbox} == {
        "referral.requested",
        "referral.message_added",
        "referral.status_changed",
    }
    _no_survivor_values(json.dumps(outbox))
    audit = AuditEvent.objects.values_list("canonical", flat=True)
    _no_survivor_values("".join(bytes(c).decode() for c in audit))
    stored = Referral.objects.get(pk=rid)
    assert SECRET_REASON.encode() not in bytes(stored.reason)
    assert SECRET_REASON.encode() not in bytes(stored.status_reason)
    assert b"canary message body" not in bytes(ReferralMessage.objects.get().body)


def test_outbox_events_go_to_the_right_agencies(api, dave, referral, eastside, safehouse):
    rid = referral["id"]
    requested = OutboxEvent.objects.filter(type="referral.requested")
    assert {e.agency_id for e in requested} == {eastside.id, safehouse.id}
    assert requested[0].data["referral_id"] == rid
    api(dave).post(f"/api/v1/referrals/{rid}/messages", {"body": "hi"}, format="json")
    added = OutboxEvent.objects.get(type="referral.message_added")
    assert added.agency_id == eastside.id
    api(dave).post(f"/api/v1/referrals/{rid}/transitions", {"to": "accepted"}, format="json")
    changed = OutboxEvent.objects.filter(type="referral.status_changed")
    assert {e.agency_id for e in changed} == {eastside.id, safehouse.id}
    assert changed[0].data["from_status"] == "requested" and changed[0].data["status"] == "accepted"
