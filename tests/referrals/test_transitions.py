"""Every legal and illegal move of the DESIGN §4 state table, for each party."""

from __future__ import annotations

import pytest

from audit.models import AuditEvent
from core.actor import system_actor
from core.errors import Conflict
from referrals.models import Referral, ReferralStatus
from referrals.services import referral_transition
from referrals.states import PARTIES, REASON_REQUIRED, TRANSITIONS, allowed_moves

STATUSES = ReferralStatus.values

# The table, spelled out independently of referrals.states (DESIGN §4).
EXPECTED = {
    ("draft", "requested"): {"sender"},
    ("requested", "accepted"): {"recipient"},
    ("requested", "rejected"): {"recipient"},
    ("requested", "cancelled"): {"sender", "recipient"},
    ("accepted", "cancelled"): {"sender", "recipient"},
    ("in-progress", "cancelled"): {"sender", "recipient"},
    ("on-hold", "cancelled"): {"sender", "recipient"},
    ("accepted", "in-progress"): {"recipient"},
    ("accepted", "on-hold"): {"recipient"},
    ("accepted", "completed"): {"recipient"},
    ("accepted", "failed"): {"recipient"},
    ("in-progress", "on-hold"): {"recipient"},
    ("in-progress", "completed"): {"recipient"},
    ("in-progress", "failed"): {"recipient"},
    ("on-hold", "in-progress"): {"recipient"},
    ("on-hold", "completed"): {"recipient"},
    ("on-hold", "failed"): {"recipient"},
    ("requested", "expired"): {"system"},
    **{(s, "entered-in-error"): {"sender"} for s in STATUSES if s != "entered-in-error"},
}


def test_the_table_matches_the_design():
    assert {k: set(v) for k, v in TRANSITIONS.items()} == EXPECTED


def _set(rid: str, status: str) -> None:
    Referral.objects.filter(pk=rid).update(status=status)


def test_the_moves_offered_are_the_tables_moves_in_status_order():
    for source in [*ReferralStatus.values, "unknown"]:
        for party in [*PARTIES, ""]:
            expected = [
                t for t in ReferralStatus.values if party in TRANSITIONS.get((source, t), ())
            ]
            assert allowed_moves(source=source, party=party) == expected, (source, party)


@pytest.mark.parametrize("party", ["sender", "recipient"])
def test_every_move_by_each_party(api, alice, dave, referral, party, subtests):
    rid = referral["id"]
    caller = api(alice if party == "sender" else dave)
    for source in STATUSES:
        for target in STATUSES:
            if party == "recipient" and source == "draft":
                continue  # a draft is invisible to the recipient (404), tested elsewhere
            with subtests.test(source=source, target=target):
                _set(rid, source)
                body = {"to": target, "reason": "because"}
                response = caller.post(f"/api/v1/referrals/{rid}/transitions", body, format="json")
                if party in EXPECTED.get((source, target), ()):
                    assert response.status_code == 200, response.content
                    assert Referral.objects.get(pk=rid).status == target
                else:
                    assert response.status_code == 409, response.content
                    problem = response.json()
                    assert problem["code"] == "illegal_transition"
                    assert problem["allowed"] == [
                        t for t in STATUSES if party in EXPECTED.get((source, t), ())
                    ]
                    assert Referral.objects.get(pk=rid).status == source


@pytest.mark.parametrize("target", sorted(REASON_REQUIRED))
def test_a_reason_is_required_for(api, alice, dave, referral, target):
    rid = referral["id"]
    source = {"on-hold": "accepted", "failed": "accepted"}.get(target, "requested")
    _set(rid, source)
    caller = api(alice if target == "entered-in-error" else dave)
    for body in ({"to": target}, {"to": target, "reason": "   "}):
        response = caller.post(f"/api/v1/referrals/{rid}/transitions", body, format="json")
        assert response.status_code == 400, response.content
        assert response.json()["errors"][0]["field"] == "reason"
    assert Referral.objects.get(pk=rid).status == source


def test_only_the_system_expires(referral):
    ref = Referral.objects.get(pk=referral["id"])
    updated = referral_transition(actor=system_actor("test"), referral=ref, to="expired")
    assert updated.status == "expired"
    with pytest.raises(Conflict):
        referral_transition(actor=system_actor("test"), referral=updated, to="accepted")


def test_an_illegal_move_is_audited_as_denied(api, alice, referral):
    response = api(alice).post(
        f"/api/v1/referrals/{referral['id']}/transitions", {"to": "accepted"}, format="json"
    )
    assert response.status_code == 409
    denied = AuditEvent.objects.get(action="referral.transition", outcome="deny")
    assert denied.reason == "illegal_transition"


def test_a_stale_version_is_409_and_a_stale_if_match_is_412(api, dave, referral):
    rid = referral["id"]
    url = f"/api/v1/referrals/{rid}/transitions"
    stale = api(dave).post(url, {"to": "accepted", "version": 7}, format="json")
    assert stale.status_code == 409 and stale.json()["code"] == "stale_version"
    assert stale.json()["current_version"] == 1
    pre = api(dave).post(url, {"to": "accepted"}, format="json", HTTP_IF_MATCH='"9"')
    assert pre.status_code == 412
    ok = api(dave).post(url, {"to": "accepted", "version": 1}, format="json", HTTP_IF_MATCH='"1"')
    assert ok.status_code == 200 and ok["ETag"] == '"2"'


def test_unknown_status_and_unknown_fields_are_400(api, dave, referral):
    url = f"/api/v1/referrals/{referral['id']}/transitions"
    assert api(dave).post(url, {"to": "teleported"}, format="json").status_code == 400
    assert api(dave).post(url, {"to": "accepted", "x": 1}, format="json").status_code == 400


def test_a_draft_is_sent_by_its_sender_and_gets_a_deadline(api, alice, dave, send):
    draft = send(draft=True)
    assert draft["status"] == "draft" and draft["response_deadline"] is None
    assert api(dave).get(f"/api/v1/referrals/{draft['id']}").status_code == 404
    sent = api(alice).post(
        f"/api/v1/referrals/{draft['id']}/transitions", {"to": "requested"}, format="json"
    )
    assert sent.status_code == 200 and sent.json()["response_deadline"]
    assert api(dave).get(f"/api/v1/referrals/{draft['id']}").status_code == 200
