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


def test_an_officer_signs_a_checkpoint_from_the_console(console, erin, alice, carol):
    from audit.models import AuditEvent, Checkpoint

    browser = console(erin)
    signed = post(browser, "/app/audit/checkpoint")
    assert signed.status_code == 302
    checkpoint = Checkpoint.objects.get(chain=str(erin.agency_id))
    assert signed["Location"] == f"/app/audit/verify/?signed={checkpoint.seq}"
    asked = AuditEvent.objects.get(action="audit.checkpoint", actor_id=str(erin.id))
    assert asked.reason == f"seq={checkpoint.seq}"
    page = browser.get(signed["Location"]).content.decode()
    assert f"sealed up to event {checkpoint.seq}" in page
    # others may not: a caseworker's console answers no such screen, and nothing is signed
    assert post(console(alice), "/app/audit/checkpoint").status_code in (403, 404)
    assert Checkpoint.objects.filter(chain=str(alice.agency_id)).count() == 1
