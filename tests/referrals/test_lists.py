"""Inbox and outbox: scoped, filtered, cursor paginated, a constant number of queries."""

from __future__ import annotations

from django.db import connection
from django.test.utils import CaptureQueriesContext

from referrals.models import Referral
from tests.referrals.conftest import ANA, SECRET_REASON


def _queries(client, url):  # type: ignore[no-untyped-def]
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200, response.content
    return len(ctx.captured_queries), response.json()


def test_the_list_costs_the_same_for_one_or_twenty_referrals(api, dave, send):
    send()
    client = api(dave)
    one, body = _queries(client, "/api/v1/referrals/?box=inbox")
    assert len(body["results"]) == 1
    for _ in range(19):
        send()
    twenty, body = _queries(client, "/api/v1/referrals/?box=inbox")
    assert len(body["results"]) == 20
    assert twenty == one, f"{one} queries for 1 referral but {twenty} for 20: select_related?"


def test_lists_show_no_client_fields(api, alice, referral):
    text = api(alice).get("/api/v1/referrals/").content.decode()
    for value in (*ANA.values(), SECRET_REASON):
        assert value not in text


def test_box_and_filters(api, alice, dave, send):
    first, second = send(), send(priority="stat")
    api(dave).post(
        f"/api/v1/referrals/{first['id']}/transitions", {"to": "accepted"}, format="json"
    )
    ids = lambda who, q: [r["id"] for r in api(who).get(f"/api/v1/referrals/{q}").json()["results"]]  # noqa: E731
    assert ids(alice, "?box=outbox") == [second["id"], first["id"]]
    assert ids(alice, "?box=inbox") == []
    assert ids(dave, "?box=inbox&status=accepted") == [first["id"]]
    assert ids(dave, "?priority=stat") == [second["id"]]
    cutoff = Referral.objects.get(pk=first["id"]).updated_at
    Referral.objects.filter(pk=second["id"]).update(updated_at=cutoff.replace(year=2020))
    assert ids(
        dave, f"?updated_after={cutoff.replace(year=2021).isoformat().replace('+', '%2B')}"
    ) == [first["id"]]


def test_bad_filters_are_400(api, alice):
    for query in ("?box=spam", "?status=lost", "?priority=now", "?updated_after=yesterday"):
        assert api(alice).get(f"/api/v1/referrals/{query}").status_code == 400, query


def test_drafts_stay_out_of_the_recipients_inbox(api, dave, send):
    send(draft=True)
    assert api(dave).get("/api/v1/referrals/").json()["results"] == []


def test_the_cursor_pages_through(api, alice, send):
    for _ in range(3):
        send()
    page = api(alice).get("/api/v1/referrals/?page_size=2").json()
    assert len(page["results"]) == 2 and page["next"]
    rest = api(alice).get(page["next"]).json()
    assert len(rest["results"]) == 1


def test_the_hand_built_summary_matches_the_serializer(referral):
    from api.v1.referral_io import ReferralSummaryOutput, referral_summary
    from referrals.models import Referral

    row = Referral.objects.select_related("sender_agency", "recipient_agency", "program").get(
        pk=referral["id"]
    )
    assert referral_summary(row) == dict(ReferralSummaryOutput(row).data)
