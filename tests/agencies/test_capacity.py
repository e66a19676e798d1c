"""Capacity upkeep: agency admins and `directory:write` systems; audited; `program.capacity_changed`
to every subscribed agency; confirming an entry (`assured_date`) is for people only."""

from __future__ import annotations

import pytest
from django.utils import timezone

from accounts.selectors import actor_for_user
from agencies.models import Program
from audit.models import AuditEvent
from webhooks.models import OutboxEvent
from webhooks.services import subscription_create


@pytest.fixture(autouse=True)
def _private_webhooks(settings):  # type: ignore[no-untyped-def]
    settings.WEBHOOK_ALLOW_PRIVATE = True


def _subscribe(user, event_types):  # type: ignore[no-untyped-def]
    subscription_create(
        actor=actor_for_user(user, auth_method="jwt"),
        url="http://127.0.0.1:9/hook",
        event_types=event_types,
    )


def _capacity(api, who, program, **body):  # type: ignore[no-untyped-def]
    return api(who).post(f"/api/v1/programs/{program.id}/capacity", body, format="json")


def test_a_partner_system_reports_capacity_and_subscribers_hear_of_it(
    api, make_integration, safehouse, harbor, eastside, northside
):
    from tests.factories import UserFactory

    _subscribe(UserFactory(agency=harbor, role="agency_admin"), ["program.capacity_changed"])
    _subscribe(UserFactory(agency=eastside, role="agency_admin"), ["*"])
    _subscribe(UserFactory(agency=northside, role="agency_admin"), ["referral.requested"])
    shelter = safehouse.programs.get()
    system = make_integration(safehouse, scopes=["directory:write"])
    before = shelter.capacity_updated_at

    response = _capacity(api, system, shelter, capacity_status="full")

    assert response.status_code == 200, response.content
    assert response.json()["capacity_status"] == "full"
    shelter.refresh_from_db()
    assert shelter.capacity_status == "full" and shelter.capacity_updated_at != before
    event = AuditEvent.objects.get(action="program.capacity_changed")
    assert (event.actor_kind, event.object_id, event.reason) == (
        "integration",
        str(shelter.id),
        "available->full",
    )
    sent = OutboxEvent.objects.filter(type="program.capacity_changed")
    assert {e.agency_id for e in sent} == {harbor.id, eastside.id, safehouse.id}  # not northside
    assert sent[0].data == {
        "program_id": str(shelter.id),
        "agency_id": str(safehouse.id),
        "service_type": "shelter",
        "capacity_status": "full",
        "previous_capacity_status": "available",
        "accepting_referrals": True,
    }


def test_an_unchanged_report_is_fresh_news_but_no_event(api, adam, eastside):
    program = eastside.programs.get()
    Program.objects.filter(pk=program.pk).update(capacity_updated_at=None)
    assert _capacity(api, adam, program, capacity_status="available").status_code == 200
    program.refresh_from_db()
    assert program.capacity_updated_at is not None
    assert AuditEvent.objects.filter(action="program.capacity_confirmed").count() == 1
    assert not OutboxEvent.objects.filter(type="program.capacity_changed").exists()


def test_stopping_referrals_is_a_capacity_change(api, adam, eastside):
    program = eastside.programs.get()
    response = _capacity(api, adam, program, accepting_referrals=False)
    assert response.json()["accepting_referrals"] is False
    [event] = OutboxEvent.objects.filter(type="program.capacity_changed")
    assert event.data["accepting_referrals"] is False and event.agency_id == eastside.id


def test_the_admins_patch_goes_the_same_way(api, adam, eastside):
    program = eastside.programs.get()
    api(adam).patch(
        f"/api/v1/agencies/{eastside.id}/programs/{program.id}",
        {"capacity_status": "waitlist", "description": "Walk-ins on Tuesdays."},
        format="json",
    )
    assert AuditEvent.objects.filter(action="program.update", reason="description").exists()
    assert AuditEvent.objects.get(action="program.capacity_changed").reason == "available->waitlist"
    assert OutboxEvent.objects.filter(type="program.capacity_changed").count() == 1


def test_another_agencys_program_is_404_and_unchanged(api, make_integration, eastside, safehouse):
    system = make_integration(eastside, scopes=["directory:write"])
    shelter = safehouse.programs.get()
    response = _capacity(api, system, shelter, capacity_status="full")
    assert response.status_code == 404
    shelter.refresh_from_db()
    assert shelter.capacity_status == "available"
    assert not OutboxEvent.objects.filter(type="program.capacity_changed").exists()


def test_without_the_scope_it_is_403(api, make_integration, eastside, alice):
    program = eastside.programs.get()
    system = make_integration(eastside, scopes=["referrals:write"])
    assert _capacity(api, system, program, capacity_status="full").status_code == 403
    assert _capacity(api, alice, program, capacity_status="full").status_code == 403


@pytest.mark.parametrize(
    "body", [{}, {"capacity_status": "roomy"}, {"capacity_status": "full", "beds": 3}]
)
def test_bad_capacity_reports_are_400(api, adam, eastside, body):
    program = eastside.programs.get()
    assert _capacity(api, adam, program, **body).status_code == 400
    program.refresh_from_db()
    assert program.capacity_status == "available"


def test_a_person_confirms_the_entry(api, adam, make_integration, eastside):
    program = eastside.programs.get()
    Program.objects.filter(pk=program.pk).update(assured_at=None)
    system = make_integration(eastside, scopes=["directory:write"])
    assert api(system).post(f"/api/v1/programs/{program.id}/assure").status_code == 403
    response = api(adam).post(f"/api/v1/programs/{program.id}/assure")
    assert response.status_code == 200
    assert response.json()["assured_date"] == timezone.now().date().isoformat()
    assert response.json()["stale"] is False
    assert AuditEvent.objects.get(action="program.assure").actor_role == "agency_admin"


def test_a_new_entry_by_a_person_counts_as_confirmed(api, adam, eastside):
    body = {"name": "Walk-in Clinic", "service_type": "civil_legal_aid", "languages": ["EN", "es"]}
    response = api(adam).post(f"/api/v1/agencies/{eastside.id}/programs", body, format="json")
    assert response.status_code == 201, response.content
    assert response.json()["stale"] is False and response.json()["languages"] == ["en", "es"]


def test_languages_must_be_language_tags(api, adam, eastside):
    body = {"name": "X", "service_type": "other", "languages": ["Ana Canary"]}
    response = api(adam).post(f"/api/v1/agencies/{eastside.id}/programs", body, format="json")
    assert response.status_code == 400
    assert "Ana Canary" not in response.content.decode()


def test_publishing_with_no_publisher_fails_closed(monkeypatch, eastside):
    from agencies import events
    from core.errors import ConfigError

    monkeypatch.setattr(events, "_publishers", [])
    with pytest.raises(ConfigError):
        events.publish(type="program.capacity_changed", data={}, also=[eastside.id])


def test_webhooks_registers_the_publisher():
    from agencies.events import _publishers
    from webhooks.broadcast import outbox_broadcast

    assert outbox_broadcast in _publishers
