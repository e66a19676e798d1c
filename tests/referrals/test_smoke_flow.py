from tests.referrals.conftest import SECRET_REASON


def test_recipient_sees_consented_categories_only(api, dave, referral):
    response = api(dave).get(f"/api/v1/referrals/{referral['id']}/")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["client"]["identity"]["given_name"] == "Ana"
    assert "safety" not in body["client"]
    assert body["reason"] == SECRET_REASON
    assert set(body["withheld_categories"]) == {"demographics", "safety", "immigration", "health"}
