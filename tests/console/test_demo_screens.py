"""The demo data fills every console screen (issue 16 item 13)."""

import io

import pytest
from django.core.management import call_command
from django.test import Client

from accounts.models import User
from referrals.models import Referral
from webhooks.models import Delivery, Subscription

PASSWORD = "a-long-demo-password"


def _as(username: str) -> Client:
    browser = Client()
    browser.get("/app/")
    assert (
        browser.post("/app/sign-in", {"username": username, "password": PASSWORD}).status_code
        == 302
    )
    return browser


@pytest.mark.django_db
def test_every_screen_has_something_to_show(settings, monkeypatch):
    settings.DEBUG = True
    monkeypatch.setenv("DEMO_PASSWORD", PASSWORD)
    call_command("seed_demo", stdout=io.StringIO())
    call_command("seed_demo", stdout=io.StringIO())  # idempotent
    assert Referral.objects.count() == 3
    alice, hank = _as("alice"), _as("hank")
    assert b"Referral " in alice.get("/app/?box=received").content
    assert alice.get("/app/?box=sent").content.count(b"/app/referrals/") == 2
    assert b"Demoperson" in alice.get("/app/clients/").content
    accepted = Referral.objects.get(status="accepted")
    page = alice.get(f"/app/referrals/{accepted.id}/").content
    assert b"Tuesday" in page
    assert User.objects.get(username="hank").role == "supervisor"
    assert b"Assign" in hank.get(f"/app/referrals/{accepted.id}/").content
    erin = _as("erin")
    assert b"disclosure" in erin.get("/app/audit/?action=disclosure").content
    assert b"<rect" in erin.get("/app/audit/charts/").content
    accounting = erin.get(f"/app/audit/disclosures/?client={accepted.client_id}").content
    assert b"Harbor Social Services" in accounting
    adam = _as("adam")
    assert b"alice" in adam.get("/app/admin/users/").content
    assert b"demo" in adam.get("/app/admin/integrations/").content
    hooks = adam.get("/app/admin/webhooks/").content
    assert b"referral-hub-demo-webhook" in hooks and b"referral.requested" in hooks
    assert Subscription.objects.count() == 1  # idempotent too
    assert Delivery.objects.filter(subscription__agency__name="Eastside Legal Clinic").exists()
