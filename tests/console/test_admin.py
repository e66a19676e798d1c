"""Agency admin screens over the staff services: invite, deactivate, role, resets, integrations."""

from django.test import Client

from accounts.models import Integration, TokenFamily, User
from audit.models import AuditEvent
from tests.conftest import PASSWORD
from tests.console.conftest import post, sign_in


def _code(response) -> str:  # type: ignore[no-untyped-def]
    return response.content.split(b'id="password-code">')[1].split(b"<")[0].decode()


def test_an_invited_person_chooses_a_password_signs_in_and_is_deactivated(adam, eastside):
    browser = sign_in(adam)
    invited = post(browser, "/app/admin/users/", {"username": "newbie", "role": "caseworker"})
    code = _code(invited)
    newbie = User.objects.get(username="newbie")
    assert (newbie.agency_id, newbie.role, newbie.has_usable_password()) == (
        eastside.id,
        "caseworker",
        False,
    )
    assert code.encode() not in browser.get("/app/admin/users/").content  # shown once
    person = Client()
    person.get("/app/")
    chosen = person.post("/app/set-password", {"token": code, "password": PASSWORD})
    assert chosen["Location"] == "/app/?password_set=1"
    assert (
        person.post("/app/set-password", {"token": code, "password": PASSWORD}).status_code == 400
    )
    assert (
        person.post("/app/sign-in", {"username": "newbie", "password": PASSWORD}).status_code == 302
    )
    post(browser, f"/app/admin/users/{newbie.id}/change", {"action": "deactivate"})
    newbie.refresh_from_db()
    assert newbie.is_active is False
    assert not TokenFamily.objects.filter(user=newbie, revoked_at__isnull=True).exists()
    assert person.get("/app/clients/")["Location"] == "/app/"
    assert AuditEvent.objects.filter(action="user.deactivate", object_id=str(newbie.id)).exists()


def test_role_change_and_resets(adam, alice):
    browser = sign_in(adam)
    signed_in = sign_in(alice)
    post(browser, f"/app/admin/users/{alice.id}/change", {"action": "role", "role": "supervisor"})
    alice.refresh_from_db()
    assert alice.role == "supervisor"
    reset = post(browser, f"/app/admin/users/{alice.id}/change", {"action": "reset_password"})
    assert len(_code(reset)) > 10
    alice.refresh_from_db()
    assert not alice.has_usable_password()
    assert signed_in.get("/app/clients/")["Location"] == "/app/"  # every session ended
    post(browser, f"/app/admin/users/{alice.id}/change", {"action": "reset_mfa"})
    alice.refresh_from_db()
    assert alice.mfa_enrol_required is True
    refused = post(browser, f"/app/admin/users/{adam.id}/change", {"action": "deactivate"})
    assert refused.status_code == 200 and b"That did not work" in refused.content
    adam.refresh_from_db()
    assert adam.is_active


def test_an_admin_cannot_touch_another_agencys_staff_and_others_cannot_admin(adam, carol, alice):
    browser = sign_in(adam)
    response = post(browser, f"/app/admin/users/{carol.id}/change", {"action": "deactivate"})
    assert response.status_code == 404
    carol.refresh_from_db()
    assert carol.is_active
    assert sign_in(alice).get("/app/admin/users/").status_code == 403


def test_an_integration_secret_is_shown_once_rotated_and_revoked(adam):
    browser = sign_in(adam)
    made = post(
        browser, "/app/admin/integrations/", {"name": "Case system", "scopes": ["referrals:read"]}
    )
    assert b"shown only now" in made.content
    listed = browser.get("/app/admin/integrations/")
    assert b"Case system" in listed.content and b"shown only now" not in listed.content
    integration = Integration.objects.get(name="Case system")
    rotated = post(
        browser, f"/app/admin/integrations/{integration.id}/change", {"action": "rotate"}
    )
    assert b"shown only now" in rotated.content
    for stray in ({}, {"action": "revok"}):  # a missing or mistyped action changes nothing
        post(browser, f"/app/admin/integrations/{integration.id}/change", stray)
        integration.refresh_from_db()
        assert integration.is_active is True
    post(browser, f"/app/admin/integrations/{integration.id}/change", {"action": "revoke"})
    integration.refresh_from_db()
    assert integration.is_active is False
    assert browser.get("/app/admin/webhooks/").status_code == 200
