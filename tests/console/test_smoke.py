from tests.console.conftest import post


def test_sign_in_then_inbox(console, alice, referral_to_harbor):
    browser = console(alice)
    page = browser.get("/app/?box=sent")
    assert page.status_code == 200
    assert b"Canary" in page.content
    detail = browser.get(f"/app/referrals/{referral_to_harbor.id}/")
    assert detail.status_code == 200, detail.content[:3000]
    assert b"CANARY-REASON" in detail.content


def test_recipient_sees_and_accepts(console, carol, referral_to_harbor):
    browser = console(carol)
    detail = browser.get(f"/app/referrals/{referral_to_harbor.id}/")
    assert b"Ana" in detail.content and b"CANARY-SAFETY" not in detail.content
    moved = post(
        browser, f"/app/referrals/{referral_to_harbor.id}/move", {"to": "accepted", "version": "1"}
    )
    assert moved.status_code == 302, moved.content[:3000]
