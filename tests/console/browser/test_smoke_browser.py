from tests.conftest import PASSWORD


def test_sign_in_and_see_the_referral(tab, alice, referral_to_harbor):
    me = tab()
    page = me.visit("/app/")
    me.check("sign-in")
    page.fill("#id_username", "alice")
    page.fill("#id_password", PASSWORD)
    page.click("button:has-text('Sign in')")
    page.wait_for_url("**/app/")
    page.click("a:has-text('Sent')")
    me.check("referrals")
    page.click(f"a[href='/app/referrals/{referral_to_harbor.id}/']")
    me.check("referral")
    assert "CANARY-REASON" in page.content()
