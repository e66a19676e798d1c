"""Priority means something: the response deadline, the reminder cadence, the inbox order."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import dateparse, timezone

from core.actor import system_actor
from referrals.models import Referral
from referrals.priorities import cadence_for
from referrals.services import referral_remind_due_soon
from webhooks.models import OutboxEvent

SYSTEM = system_actor("test")
H = timedelta(hours=1)


def _deadline(body: dict) -> timedelta:
    return dateparse.parse_datetime(body["response_deadline"]) - timezone.now()


@pytest.mark.parametrize(
    ("priority", "window"),
    [("stat", 4 * H), ("asap", 24 * H), ("urgent", 72 * H), ("routine", timedelta(days=10))],
)
def test_each_priority_sets_its_deadline(send, priority, window):
    left = _deadline(send(priority=priority))
    assert window - timedelta(minutes=1) < left <= window


def test_a_faster_program_shortens_the_deadline_never_lengthens_it(send, safehouse):
    program = str(safehouse.programs.get().id)  # Emergency Shelter, response_days=3
    assert abs(_deadline(send(priority="routine", program_id=program)) - 72 * H) < timedelta(
        minutes=1
    )
    assert abs(_deadline(send(priority="stat", program_id=program)) - 4 * H) < timedelta(minutes=1)


def test_the_windows_are_settings(send, settings):
    settings.REFERRAL_RESPONSE_HOURS_STAT = 2
    settings.REFERRAL_RESPONSE_HOURS_URGENT = 12
    assert abs(_deadline(send(priority="stat")) - 2 * H) < timedelta(minutes=1)
    assert abs(_deadline(send(priority="urgent")) - 12 * H) < timedelta(minutes=1)


def test_the_documented_defaults():
    table = {p: cadence_for(p) for p in ("stat", "asap", "urgent", "routine")}
    assert {p: (c.respond_within, c.first_reminder, c.remind_every) for p, c in table.items()} == {
        "stat": (4 * H, 2 * H, 1 * H),
        "asap": (24 * H, 12 * H, 4 * H),
        "urgent": (72 * H, 36 * H, 12 * H),
        "routine": (240 * H, 48 * H, 24 * H),
    }


def _reminders(rid: str) -> int:
    return OutboxEvent.objects.filter(
        type="referral.response_due_soon", data__referral_id=rid
    ).count()


def test_a_stat_referral_is_reminded_hourly_in_its_last_two_hours(send):
    rid = send(priority="stat")["id"]
    deadline = Referral.objects.get(pk=rid).response_deadline
    at = lambda before: deadline - before  # noqa: E731
    assert referral_remind_due_soon(actor=SYSTEM, now=at(3 * H)) == 0  # too early
    assert referral_remind_due_soon(actor=SYSTEM, now=at(2 * H)) == 1
    assert referral_remind_due_soon(actor=SYSTEM, now=at(90 * timedelta(minutes=1))) == 0
    assert referral_remind_due_soon(actor=SYSTEM, now=at(1 * H)) == 1  # an hour later
    assert referral_remind_due_soon(actor=SYSTEM, now=deadline + H) == 0  # past: expiry's job
    assert _reminders(rid) == 2 * 2  # two reminders, each to sender and recipient


def test_a_routine_referral_is_reminded_daily_from_two_days_out(send):
    rid = send(priority="routine")["id"]
    deadline = Referral.objects.get(pk=rid).response_deadline
    assert referral_remind_due_soon(actor=SYSTEM, now=deadline - 49 * H) == 0
    assert referral_remind_due_soon(actor=SYSTEM, now=deadline - 48 * H) == 1
    assert referral_remind_due_soon(actor=SYSTEM, now=deadline - 30 * H) == 0
    assert referral_remind_due_soon(actor=SYSTEM, now=deadline - 24 * H) == 1


def test_an_answered_referral_is_not_reminded(api, dave, send):
    rid = send(priority="stat")["id"]
    api(dave).post(f"/api/v1/referrals/{rid}/transitions", {"to": "accepted"}, format="json")
    deadline = Referral.objects.get(pk=rid).response_deadline
    assert referral_remind_due_soon(actor=SYSTEM, now=deadline - H) == 0


def _inbox(api, who, query=""):  # type: ignore[no-untyped-def]
    return [
        r["priority"] for r in api(who).get(f"/api/v1/referrals?box=inbox{query}").json()["results"]
    ]


def test_the_inbox_sorts_by_priority_then_deadline(api, dave, send):
    for priority in ("routine", "stat", "urgent", "asap", "routine", "stat"):
        send(priority=priority)
    assert _inbox(api, dave) == ["stat", "stat", "asap", "urgent", "routine", "routine"]
    newest = _inbox(api, dave, "&sort=newest")
    assert newest == ["stat", "routine", "asap", "urgent", "stat", "routine"]


def test_priority_pages_follow_the_cursor(api, dave, send):
    sent = [send(priority=p)["id"] for p in ("routine", "stat", "urgent", "asap", "stat")]
    seen, url = [], "/api/v1/referrals?box=inbox&page_size=2"
    while url:
        page = api(dave).get(url).json()
        seen += [r["id"] for r in page["results"]]
        url = page["next"]
    assert sorted(seen) == sorted(sent) and len(seen) == len(set(seen))
    order = [Referral.objects.get(pk=i).priority for i in seen]
    assert order == ["stat", "stat", "asap", "urgent", "routine"]


def test_the_outbox_stays_newest_first_and_sort_is_checked(api, alice, send):
    first, second = send(priority="routine"), send(priority="stat")
    outbox = api(alice).get("/api/v1/referrals?box=outbox").json()["results"]
    assert [r["id"] for r in outbox] == [second["id"], first["id"]]
    assert api(alice).get("/api/v1/referrals?sort=loudest").status_code == 400
