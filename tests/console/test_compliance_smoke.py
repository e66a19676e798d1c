from tests.console.conftest import post


def test_compliance_screens(console, erin, carol, referral_to_harbor):
    from referrals.reads import referral_read
    from tests.conftest import actor

    referral_read(actor=actor(carol), referral=referral_to_harbor)
    browser = console(erin)
    for url in [
        "/app/audit/",
        "/app/audit/verify/",
        "/app/audit/charts/",
        f"/app/audit/disclosures/?client={referral_to_harbor.client_id}",
        "/app/audit/public-key",
    ]:
        page = browser.get(url)
        assert page.status_code == 200, (url, page.content[:3000])
    assert (
        b"Harbor"
        in browser.get(f"/app/audit/disclosures/?client={referral_to_harbor.client_id}").content
    )
    export = post(browser, "/app/audit/export")
    assert export.status_code == 200 and b'"type":"footer"' in export.content
    assert browser.get(f"/app/clients/{referral_to_harbor.client_id}/").status_code == 403
