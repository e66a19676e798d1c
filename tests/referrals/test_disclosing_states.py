"""What the recipient sees in each referral status (DESIGN §4 disclosing states)."""

from __future__ import annotations

import pytest

from audit.models import AuditEvent
from consent.policy import DISCLOSING_STATES
from referrals.models import Referral, ReferralStatus
from tests.referrals.conftest import ANA, SECRET_REASON

# status -> does the recipient see the consented client data, the reason and the sender's
# messages. `draft` is not even visible to the recipient (404).
SEES = {
    "requested": True,
    "accepted": True,
    "in-progress": True,
    "on-hold": True,
    "completed": True,
    "failed": True,
    "rejected": False,
    "cancelled": False,
    "expired": False,
    "entered-in-error": False,
}


def test_every_referral_status_is_classified():
    assert set(SEES) | {"draft"} == set(ReferralStatus.values)
    assert {s for s, sees in SEES.items() if sees} == DISCLOSING_STATES
    assert ReferralStatus.DRAFT not in DISCLOSING_STATES


@pytest.mark.parametrize("status", sorted(SEES))
def test_what_the_recipient_sees(api, alice, dave, referral, status):
    rid = referral["id"]
    api(alice).post(f"/api/v1/referrals/{rid}/messages", {"body": "canary-msg"}, format="json")
    Referral.objects.filter(pk=rid).update(status=status)
    detail = api(dave).get(f"/api/v1/referrals/{rid}").json()
    messages = api(dave).get(f"/api/v1/referrals/{rid}/messages").json()["results"]
    item = api(dave).get("/api/v1/referrals").json()["results"][0]
    sees = SEES[status]
    assert ("identity" in detail["client"]) is sees
    assert (detail["reason"] == SECRET_REASON) is sees
    assert (messages[0]["body"] == "canary-msg") is sees
    assert (item["client_display_name"] == f"{ANA['given_name']} {ANA['family_name']}") is sees
    basis = "permitted" if sees else "referral_state"
    assert detail["withheld_basis"] == basis
    if not sees:
        assert messages[0]["withheld_basis"] == item["client_withheld_basis"] == basis
    assert AuditEvent.objects.filter(action="disclosure").count() == (3 if sees else 0)


def test_a_draft_is_invisible_to_the_recipient(api, dave, send):
    draft = send(draft=True)
    assert api(dave).get(f"/api/v1/referrals/{draft['id']}").status_code == 404
    assert api(dave).get("/api/v1/referrals").json()["results"] == []
