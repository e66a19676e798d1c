"""Issue 15 item 5: `allowed_transitions` everywhere, the history, recognisable list items."""

from __future__ import annotations

from audit.models import AuditEvent
from tests.factories import UserFactory
from tests.referrals.conftest import revoke


def _moves(body):  # type: ignore[no-untyped-def]
    assert isinstance(body["allowed_transitions"], list), body
    return body["allowed_transitions"]


def test_allowed_transitions_on_every_representation(api, alice, dave, safehouse, send):
    created = send()
    rid = created["id"]
    assert _moves(created) == ["cancelled", "entered-in-error"]
    listed = api(dave).get("/api/v1/referrals").json()["results"][0]
    assert _moves(listed) == ["accepted", "rejected", "cancelled"]
    moved = api(dave).post(
        f"/api/v1/referrals/{rid}/transitions", {"to": "accepted"}, format="json"
    )
    assert _moves(moved.json()) == ["cancelled", "in-progress", "on-hold", "completed", "failed"]
    sue = UserFactory(username="sue", agency=safehouse, role="supervisor")
    assigned = api(sue).post(
        f"/api/v1/referrals/{rid}/assign", {"assignee_id": str(dave.id)}, format="json"
    )
    assert _moves(assigned.json()) == _moves(moved.json())
    assert _moves(api(alice).get(f"/api/v1/referrals/{rid}").json()) == [
        "cancelled",
        "entered-in-error",
    ]
    done = api(dave).post(
        f"/api/v1/referrals/{rid}/transitions", {"to": "completed"}, format="json"
    )
    assert _moves(done.json()) == []  # terminal for the recipient, never null


def test_a_read_only_integration_may_make_no_moves(api, make_integration, safehouse, referral):
    reader = make_integration(safehouse, scopes=["referrals:read"])
    assert _moves(api(reader).get(f"/api/v1/referrals/{referral['id']}").json()) == []


def test_history_lists_each_status_change_with_time_party_and_reason(
    api, alice, dave, carol, referral
):
    rid = referral["id"]
    api(dave).post(f"/api/v1/referrals/{rid}/transitions", {"to": "accepted"}, format="json")
    api(dave).post(
        f"/api/v1/referrals/{rid}/transitions",
        {"to": "on-hold", "reason": "waiting for a bed"},
        format="json",
    )
    api(alice).post(
        f"/api/v1/referrals/{rid}/transitions",
        {"to": "cancelled", "reason": "client moved away"},
        format="json",
    )
    response = api(alice).get(f"/api/v1/referrals/{rid}/history")
    assert response.status_code == 200, response.content
    rows = response.json()["results"]
    assert [(r["from_status"], r["to_status"], r["party"]) for r in rows] == [
        ("", "requested", "sender"),
        ("requested", "accepted", "recipient"),
        ("accepted", "on-hold", "recipient"),
        ("on-hold", "cancelled", "sender"),
    ]
    assert [r["reason"] for r in rows] == [None, None, "waiting for a bed", "client moved away"]
    assert all(r["at"] for r in rows) and rows[0]["actor_kind"] == "user"
    # The recipient: its own reasons, not the sender's (the referral is cancelled).
    theirs = api(dave).get(f"/api/v1/referrals/{rid}/history").json()["results"]
    assert theirs[2]["reason"] == "waiting for a bed"
    assert (theirs[3]["reason"], theirs[3]["withheld_basis"]) == (None, "referral_state")
    assert AuditEvent.objects.filter(action="referral.history.read").count() == 2
    assert api(carol).get(f"/api/v1/referrals/{rid}/history").status_code == 404


def test_the_recipient_sees_the_senders_reasons_while_the_referral_discloses(
    api, alice, dave, erin, ana, ana_consent, send
):
    draft = send(draft=True)
    api(alice).post(
        f"/api/v1/referrals/{draft['id']}/transitions", {"to": "requested"}, format="json"
    )
    api(dave).post(
        f"/api/v1/referrals/{draft['id']}/transitions",
        {"to": "rejected", "reason": "no beds"},
        format="json",
    )
    rows = api(alice).get(f"/api/v1/referrals/{draft['id']}/history").json()["results"]
    assert rows[-1]["reason"] == "no beds"  # the sender reads the recipient's reason
    assert not AuditEvent.objects.filter(action="disclosure").exists()


def test_list_items_carry_what_a_caseworker_needs(api, alice, dave, send):
    first = send(priority="stat")
    api(alice).post(f"/api/v1/referrals/{first['id']}/messages", {"body": "one"}, format="json")
    api(alice).post(f"/api/v1/referrals/{first['id']}/messages", {"body": "two"}, format="json")
    [item] = api(dave).get("/api/v1/referrals").json()["results"]
    assert item["client_display_name"] == "Ana Canary" and item["client_withheld_basis"] == ""
    assert item["other_agency"]["name"] == "Eastside Legal Clinic"
    assert item["priority"] == "stat" and item["response_deadline"]
    assert item["unread_messages"] == 2
    api(dave).get(f"/api/v1/referrals/{first['id']}/messages")
    assert api(dave).get("/api/v1/referrals").json()["results"][0]["unread_messages"] == 0
    [mine] = api(alice).get("/api/v1/referrals").json()["results"]
    assert mine["other_agency"]["name"] == "Safe Harbor Housing"
    assert mine["unread_messages"] == 0  # its own messages are never unread
    api(dave).post(f"/api/v1/referrals/{first['id']}/messages", {"body": "ok"}, format="json")
    assert api(alice).get("/api/v1/referrals").json()["results"][0]["unread_messages"] == 1


def test_the_recipient_list_shows_the_name_only_under_the_referrals_consent(
    api, dave, erin, ana, ana_consent, referral
):
    api(dave).get("/api/v1/referrals")
    disclosure = AuditEvent.objects.get(action="disclosure")
    assert (disclosure.reason, disclosure.categories) == ("list", ["identity"])
    assert disclosure.consent_id == ana_consent.id
    revoke(ana_consent)
    [item] = api(dave).get("/api/v1/referrals").json()["results"]
    assert item["client_display_name"] is None and item["client_withheld_basis"] == "revoked"
    assert "Canary" not in str(item)
    rows = api(erin).get(f"/api/v1/clients/{ana.id}/disclosures").json()["results"]
    assert [(r["via"], r["categories"]) for r in rows] == [("list", ["identity"])]


def test_the_preferred_name_is_the_display_name():
    from referrals.summary import display_name

    assert display_name({"given_name": "Ana", "family_name": "C", "preferred_name": "Annie"}) == (
        "Annie"
    )
    assert display_name({"given_name": "Ana", "family_name": None}) == "Ana"
    assert display_name({}) is None
