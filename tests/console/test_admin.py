from accounts.models import TokenFamily, User
from audit.models import AuditEvent
from tests.console.conftest import post, sign_in


def test_an_admin_adds_a_person_who_can_sign_in_then_deactivates_them(adam, eastside):
    browser = sign_in(adam)
    added = post(browser, "/app/admin/users/", {"username": "newbie", "role": "caseworker"})
    assert added.status_code == 200
    password = added.content.split(b'id="first-password">')[1].split(b"<")[0].decode()
    newbie = User.objects.get(username="newbie")
    assert (newbie.agency_id, newbie.role) == (eastside.id, "caseworker")
    assert password.encode() not in browser.get("/app/admin/users/").content  # shown once
    person = __import__("django.test", fromlist=["Client"]).Client()
    person.get("/app/")
    assert (
        person.post("/app/sign-in", {"username": "newbie", "password": password}).status_code == 302
    )
    off = post(browser, f"/app/admin/users/{newbie.id}/active", {"active": "0"})
    assert off.status_code == 302
    newbie.refresh_from_db()
    assert newbie.is_active is False
    assert not TokenFamily.objects.filter(user=newbie, revoked_at__isnull=True).exists()
    assert person.get("/app/clients/")["Location"] == "/app/"
    assert AuditEvent.objects.filter(action="user.deactivate", object_id=str(newbie.id)).exists()


def test_an_admin_cannot_touch_another_agencys_staff_and_others_cannot_admin(adam, carol, alice):
    browser = sign_in(adam)
    response = post(browser, f"/app/admin/users/{carol.id}/active", {"active": "0"})
    assert response.status_code == 404
    carol.refresh_from_db()
    assert carol.is_active
    assert sign_in(alice).get("/app/admin/users/").status_code == 403


def test_an_integration_secret_is_shown_once_and_can_be_revoked(adam):
    browser = sign_in(adam)
    made = post(
        browser, "/app/admin/integrations/", {"name": "Case system", "scopes": ["referrals:read"]}
    )
    assert b"Secret, shown only now" in made.content
    listed = browser.get("/app/admin/integrations/")
    assert b"Case system" in listed.content and b"shown only now" not in listed.content
    from accounts.models import Integration

    integration = Integration.objects.get(name="Case system")
    post(browser, f"/app/admin/integrations/{integration.id}/active", {"active": "0"})
    integration.refresh_from_db()
    assert integration.is_active is False
    assert browser.get("/app/admin/webhooks/").status_code == 200
