"""Response deadlines: a reminder once before, expiry after, both to the outbox."""

from __future__ import annotations

from datetime import timedelta

from django.core.management import call_command
from django.utils import timezone

from audit.models import AuditEvent
from core.actor import system_actor
from referrals.models import Referral
from referrals.services import referral_expire_due, referral_remind_due_soon
from webhooks.models import OutboxEvent

SYSTEM = system_actor("test")


def _due_in(rid: str, delta: timedelta) -> None:
    Referral.objects.filter(pk=rid).update(response_deadline=timezone.now() + delta)


def test_overdue_requested_referrals_expire(api, dave, send):
    overdue, answered, fresh = send(), send(), send()
    api(dave).post(
        f"/api/v1/referrals/{answered['id']}/transitions", {"to": "accepted"}, format="json"
    )
    for r in (overdue, answered):
        _due_in(r["id"], -timedelta(minutes=1))
    assert referral_expire_due(actor=SYSTEM) == 1
    statuses = dict(Referral.objects.values_list("id", "status"))
    assert {str(k): v for k, v in statuses.items()} == {
        overdue["id"]: "expired",
        answered["id"]: "accepted",
        fresh["id"]: "requested",
    }
    expired = OutboxEvent.objects.filter(type="referral.expired")
    assert len(expired) == 2 and expired[0].data["referral_id"] == overdue["id"]
    assert (
        OutboxEvent.objects.filter(type="referral.status_changed", data__status="expired").count()
        == 2
    )
    event = AuditEvent.objects.get(action="referral.transition", reason="expired")
    assert event.actor_kind == "system" and event.chain == "platform"
    assert referral_expire_due(actor=SYSTEM) == 0


def test_reminders_go_out_once_per_referral(send, settings):
    settings.REFERRAL_REMINDER_HOURS = 24
    soon, later = send(), send()
    _due_in(soon["id"], timedelta(hours=3))
    _due_in(later["id"], timedelta(days=5))
    assert referral_remind_due_soon(actor=SYSTEM) == 1
    assert referral_remind_due_soon(actor=SYSTEM) == 0
    reminders = OutboxEvent.objects.filter(type="referral.response_due_soon")
    assert {e.data["referral_id"] for e in reminders} == {soon["id"]}
    assert len(reminders) == 2  # sender and recipient


def test_the_command_reminds_and_expires(send, capsys):
    overdue = send()
    _due_in(overdue["id"], -timedelta(seconds=1))
    call_command("expire_referrals")
    assert "expired 1" in capsys.readouterr().out
    assert Referral.objects.get(pk=overdue["id"]).status == "expired"


def test_an_expired_referral_can_still_be_marked_entered_in_error(api, alice, send):
    overdue = send()
    _due_in(overdue["id"], -timedelta(seconds=1))
    referral_expire_due(actor=SYSTEM)
    response = api(alice).post(
        f"/api/v1/referrals/{overdue['id']}/transitions",
        {"to": "entered-in-error", "reason": "duplicate"},
        format="json",
    )
    assert response.status_code == 200
    assert response.json()["status"] == "entered-in-error"
    stored = Referral.objects.get(pk=overdue["id"])
    assert stored.status == "entered-in-error"
    moves = set(stored.transitions.values_list("from_status", "to_status"))
    assert {("requested", "expired"), ("expired", "entered-in-error")} <= moves
