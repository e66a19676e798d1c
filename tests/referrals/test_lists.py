"""Inbox and outbox: scoped, filtered, cursor paginated, a constant number of queries."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from audit.models import AuditEvent
from referrals.models import Referral
from tests.referrals.conftest import ANA, SECRET_REASON

INBOX_READS = 2  # the page in one query (joins, unread counts), and the transaction start
# One hash-chained audit event: one statement on PostgreSQL, three on SQLite.
DISCLOSURE_APPEND = 1 if connection.vendor == "postgresql" else 3
OUTBOX_QUERIES = INBOX_READS + DISCLOSURE_APPEND  # the sender's one `referral.list` event


def page_appends(events: int) -> int:
    """Audit statements for a page writing `events` events on the reader's chain: one
    `audit_append_many` round trip on PostgreSQL, whatever the count (a loop on SQLite)."""
    if connection.vendor == "postgresql":
        return 1 if events else 0
    return events * DISCLOSURE_APPEND


def _queries(client, url):  # type: ignore[no-untyped-def]
    """(queries reading, queries appending audit events, body) for one GET."""
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200, response.content
    sql = [q["sql"] for q in ctx.captured_queries]
    audit = [q for q in sql if "audit_" in q]
    return len(sql) - len(audit), len(audit), response.json()


def test_the_list_costs_the_same_for_one_or_twenty_referrals(api, dave, send):
    """Reads are constant; each item showing the client's name to the recipient is one
    `disclosure` event (the accounting needs one per client and referral), nothing more, and
    the page's events are one round trip on PostgreSQL."""
    send()
    client = api(dave)
    client.get("/api/v1/referrals?box=inbox")  # the agency's audit chain exists from here on
    before = AuditEvent.objects.count()
    one, one_audit, body = _queries(client, "/api/v1/referrals?box=inbox")
    assert len(body["results"]) == 1 and body["results"][0]["client_display_name"]
    assert AuditEvent.objects.count() == before + 1
    for _ in range(19):
        send()
    before = AuditEvent.objects.count()
    twenty, twenty_audit, body = _queries(client, "/api/v1/referrals?box=inbox")
    assert len(body["results"]) == 20
    assert twenty == one, f"{one} queries for 1 referral but {twenty} for 20: select_related?"
    assert AuditEvent.objects.count() - before == 20
    assert (one_audit, twenty_audit) == (page_appends(1), page_appends(20)), (
        "one audit_append_many round trip per page on PostgreSQL, not one per item"
    )


def test_the_senders_list_costs_the_same_for_one_or_twenty(api, alice, send):
    send()
    api(alice).get("/api/v1/referrals?box=outbox")
    one, one_audit, _ = _queries(api(alice), "/api/v1/referrals?box=outbox")
    for _ in range(19):
        send()
    twenty, twenty_audit, body = _queries(api(alice), "/api/v1/referrals?box=outbox")
    assert len(body["results"]) == 20 and (twenty, twenty_audit) == (one, one_audit)


def test_lists_show_the_display_name_and_no_other_client_field(api, alice, referral):
    """Was: no client field at all. Now the display name (issue 15), nothing else."""
    text = api(alice).get("/api/v1/referrals").content.decode()
    assert "Ana Canary" in text
    for key, value in ANA.items():
        if key not in ("given_name", "family_name"):
            assert value not in text
    assert SECRET_REASON not in text


def test_box_and_filters(api, alice, dave, send):
    first, second = send(), send(priority="stat")
    api(dave).post(
        f"/api/v1/referrals/{first['id']}/transitions", {"to": "accepted"}, format="json"
    )
    ids = lambda who, q: [r["id"] for r in api(who).get(f"/api/v1/referrals{q}").json()["results"]]  # noqa: E731
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
        assert api(alice).get(f"/api/v1/referrals{query}").status_code == 400, query


def test_drafts_stay_out_of_the_recipients_inbox(api, dave, send):
    send(draft=True)
    assert api(dave).get("/api/v1/referrals").json()["results"] == []


def test_the_cursor_pages_through(api, alice, send):
    for _ in range(3):
        send()
    page = api(alice).get("/api/v1/referrals?page_size=2").json()
    assert len(page["results"]) == 2 and page["next"]
    rest = api(alice).get(page["next"]).json()
    assert len(rest["results"]) == 1


def test_the_hand_built_representations_match_their_serializers(api, alice, referral):
    from api.v1 import referral_io

    pairs = [
        (api(alice).get(f"/api/v1/referrals/{referral['id']}").json(), "ReferralOutput"),
        (api(alice).get("/api/v1/referrals").json()["results"][0], "ReferralListItemOutput"),
        (referral, "ReferralSummaryOutput"),
    ]
    history = api(alice).get(f"/api/v1/referrals/{referral['id']}/history").json()
    pairs += [
        (history, "ReferralHistoryPageOutput"),
        (history["results"][0], "ReferralHistoryOutput"),
    ]
    for body, name in pairs:
        serializer = getattr(referral_io, name)
        assert set(body) == set(serializer().fields), name
        check = serializer(data=body)
        assert check.is_valid(), (name, check.errors)


def _page(client, box):  # type: ignore[no-untyped-def]
    response = client.get(f"/api/v1/referrals?box={box}")
    assert response.status_code == 200, response.content
    return response.json()["results"]


@pytest.mark.parametrize("count", [1, 20])
def test_the_outbox_page_is_a_fixed_number_of_queries(
    api, alice, send, count, django_assert_num_queries
):
    """Names of the sender's own clients, the other agency, unread counts: one fixed set of
    queries (auth, page, one `referral.list` audit append) whatever the page size."""
    for _ in range(count):
        send()
    client = api(alice)
    _page(client, "outbox")  # the agency's audit chain and the token's session are warm
    with django_assert_num_queries(OUTBOX_QUERIES):
        items = _page(client, "outbox")
    assert len(items) == count and all(i["client_display_name"] for i in items)


@pytest.mark.parametrize("count", [1, 20])
def test_the_inbox_page_reads_at_a_fixed_number_of_queries(
    api, dave, send, count, django_assert_num_queries
):
    """The recipient's reads are fixed too; each item showing a name adds exactly its own
    `disclosure` event (the accounting needs one per referral), all written in one round
    trip on PostgreSQL."""
    for _ in range(count):
        send()
    client = api(dave)
    _page(client, "inbox")
    before = AuditEvent.objects.count()
    with django_assert_num_queries(INBOX_READS + page_appends(count)):
        items = _page(client, "inbox")
    assert len(items) == count and all(i["client_display_name"] for i in items)
    assert AuditEvent.objects.count() - before == count
