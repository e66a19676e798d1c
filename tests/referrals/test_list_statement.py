"""The list's pages in one pre-built statement (`referral_pages_for`): what the ORM returns.

The inbox a partner polls is read with a statement built once per box and order instead of the
queryset `referral_list_for` compiles on every request. For every box, order and party (and an
agency that is neither) it must hold the same referrals in the same order, with the same
fields, related objects and annotations, page the same under the signed cursor (same items,
same `next` and `previous` tokens), and need one statement for a page.
"""

from __future__ import annotations

import json
import re
from datetime import timedelta
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.test import APIRequestFactory

from accounts.selectors import actor_for_user
from api.pagination import CreatedCursorPagination, PriorityCursorPagination
from api.v1.referral_io import referral_list_item
from core.joined import statement_text
from core.pages import Pages
from referrals.models import Referral, ReferralReadMark
from referrals.selectors import (
    BY_PRIORITY,
    DETAIL_RELATED,
    INBOX,
    NEWEST,
    OUTBOX,
    referral_list_for,
    referral_pages_for,
)
from referrals.summary import referral_list_read
from tests.referrals.test_one_statement_lookups import _same

BOXES = (INBOX, OUTBOX, None)
SORTS = (NEWEST, BY_PRIORITY)
ANNOTATED = ("unread_messages", "priority_rank")


@pytest.fixture
def lists(api, alice, dave, send):  # type: ignore[no-untyped-def]
    """Referrals alice sent Safe Harbor in every priority, a draft, two moved on, messages
    from each side and a read mark: unread counts, ranks and deadlines that differ."""
    sent = [send(priority=p)["id"] for p in ("routine", "stat", "urgent", "asap", "stat")]
    sent.append(send(draft=True)["id"])
    for rid, who in ((sent[0], dave), (sent[1], alice), (sent[1], dave), (sent[2], dave)):
        body = {"body": "Checking in (synthetic)"}
        response = api(who).post(f"/api/v1/referrals/{rid}/messages", body, format="json")
        assert response.status_code == 201, response.content
    for rid in sent[:2]:
        response = api(dave).post(
            f"/api/v1/referrals/{rid}/transitions", {"to": "accepted"}, format="json"
        )
        assert response.status_code == 200, response.content
    later = timezone.now() + timedelta(seconds=1)
    ReferralReadMark.objects.create(
        referral_id=sent[2], agency_id=dave.agency_id, last_read_at=later
    )
    return sent


def _orm(actor: Any, box: str | None, sort: str) -> list[Referral]:
    return list(referral_list_for(actor, box=box, sort=sort))


def _ordering(box: str | None, sort: str) -> tuple[str, ...]:
    pagination = PriorityCursorPagination if sort == BY_PRIORITY else CreatedCursorPagination
    return tuple(pagination.ordering)


def _annotations(obj: Referral) -> dict[str, Any]:
    return {name: getattr(obj, name) for name in ANNOTATED if hasattr(obj, name)}


def _people(alice, dave, carol):  # type: ignore[no-untyped-def]
    return [actor_for_user(u, auth_method="password") for u in (alice, dave, carol)]


@pytest.mark.parametrize("sort", SORTS)
@pytest.mark.parametrize("box", BOXES)
def test_a_page_holds_what_the_querysets_page_holds(
    lists, alice, dave, carol, box, sort, django_assert_num_queries
):
    for actor in _people(alice, dave, carol):
        orm = _orm(actor, box, sort)
        pages = referral_pages_for(actor, box=box, sort=sort)
        assert isinstance(pages, Pages)
        with django_assert_num_queries(1):
            fast = pages.order_by(*_ordering(box, sort))[0:51]
        assert [r.pk for r in fast] == [r.pk for r in orm], (actor.username, box, sort)
        with django_assert_num_queries(0):  # everything an item shows came in that statement
            for a, b in zip(fast, orm, strict=True):
                _same(a, b, DETAIL_RELATED)
                assert _annotations(a) == _annotations(b)
                assert type(a.unread_messages) is type(b.unread_messages)


def test_the_tenancy_rule_holds_on_the_statement(lists, alice, dave, carol):
    """A recipient sees what was addressed to its agency, never a draft; a sender its own;
    an agency that is neither sees nothing."""
    sender, recipient, stranger = _people(alice, dave, carol)
    sent = set(lists)
    draft = lists[-1]
    for box in BOXES:
        for sort in SORTS:
            ordering = _ordering(box, sort)

            def ids(actor, box=box, sort=sort, ordering=ordering):  # type: ignore[no-untyped-def]
                page = referral_pages_for(actor, box=box, sort=sort).order_by(*ordering)[0:51]
                return {str(r.pk) for r in page}

            assert ids(stranger) == set()
            assert ids(recipient) == (set() if box == OUTBOX else sent - {draft})
            assert ids(sender) == (set() if box == INBOX else sent)
    assert unread(recipient) == {lists[0]: 0, lists[1]: 1, lists[2]: 0, lists[3]: 0, lists[4]: 0}


def test_the_statement_follows_a_change_of_the_tenancy_rule(lists, alice, dave, monkeypatch):
    """The statement's WHERE is compiled from `agency_referrals_q` itself, not a copy of it:
    a rule changed there (here: a recipient sees only stat referrals) is the statement's."""
    from django.db.models import Q

    import referrals.selectors as selectors

    rule = selectors.agency_referrals_q

    def narrower(agency_id, box):  # type: ignore[no-untyped-def]
        return rule(agency_id, box) & Q(priority="stat")

    monkeypatch.setattr(selectors, "agency_referrals_q", narrower)
    monkeypatch.setattr(selectors, "_SCOPE", {})
    monkeypatch.setattr(selectors, "_LIST_SQL", {})
    recipient = _people(alice, dave, dave)[1]
    for sort in SORTS:
        page = referral_pages_for(recipient, box=INBOX, sort=sort)
        fast = page.order_by(*_ordering(INBOX, sort))[0:51]
        assert [r.pk for r in fast] == [r.pk for r in _orm(recipient, INBOX, sort)]
        assert {r.priority for r in fast} == {"stat"} and len(fast) == 2


def unread(actor: Any) -> dict[str, int]:
    pages = referral_pages_for(actor, box=INBOX)
    return {
        str(r.pk): r.unread_messages for r in pages.order_by(*_ordering(INBOX, BY_PRIORITY))[0:51]
    }


@pytest.mark.parametrize(("start", "stop"), [(0, 2), (2, 4), (3, 10), (5, 6), (6, 9)])
def test_any_window_is_the_querysets_window(lists, dave, start, stop):
    actor = actor_for_user(dave, auth_method="password")
    for box in (INBOX, None):
        for sort in SORTS:
            fast = referral_pages_for(actor, box=box, sort=sort).order_by(*_ordering(box, sort))
            orm = referral_list_for(actor, box=box, sort=sort)
            assert [r.pk for r in fast[start:stop]] == [r.pk for r in orm[start:stop]]


def _walk(paginator_class, source, url, pages=20):  # type: ignore[no-untyped-def]
    """Every page of `source` through the signed cursor: [(ids, next, previous), ...]."""
    factory, seen = APIRequestFactory(), []
    while url and len(seen) < pages:
        paginator = paginator_class()
        request = Request(factory.get(url))
        page = paginator.paginate_queryset(source(), request)
        seen.append(
            ([r.pk for r in page], paginator.get_next_link(), paginator.get_previous_link())
        )
        url = seen[-1][1]
    return seen


@pytest.mark.parametrize("sort", SORTS)
def test_the_cursor_pages_as_it_pages_the_queryset(lists, alice, dave, sort):
    """Forward through every page, then back from the last: the same items and the same
    `next` / `previous` tokens (ranks repeat, so offsets and positions both occur)."""
    pagination = PriorityCursorPagination if sort == BY_PRIORITY else CreatedCursorPagination
    walked = 0
    for actor in (actor_for_user(u, auth_method="password") for u in (alice, dave)):
        for box in (INBOX, None):
            url = f"/api/v1/referrals?box={box or ''}&sort={sort}&page_size=2"

            def fast(actor=actor, box=box):  # type: ignore[no-untyped-def]
                return referral_pages_for(actor, box=box, sort=sort)

            def orm(actor=actor, box=box):  # type: ignore[no-untyped-def]
                return referral_list_for(actor, box=box, sort=sort)

            forward = _walk(pagination, fast, url)
            assert forward == _walk(pagination, orm, url), (actor.username, box)
            walked += len(forward)
            back = forward[-1][2]
            if back:
                assert _walk(pagination, fast, back) == _walk(pagination, orm, back)
    assert walked > 6, "the fixture's lists span several pages of two"


def test_a_filtered_list_is_the_queryset(lists, dave):
    actor = actor_for_user(dave, auth_method="password")
    filtered = referral_pages_for(actor, box=INBOX, status="accepted")
    assert not isinstance(filtered, Pages)
    assert {str(r.pk) for r in filtered} == set(lists[:2])


def test_the_inbox_endpoint_answers_from_the_statement(api, lists, dave):
    """The page the partners poll: one SELECT of the referrals (prepared on PostgreSQL)."""
    client = api(dave)
    client.get("/api/v1/referrals?box=inbox")
    with CaptureQueriesContext(connection) as ctx:
        response = client.get("/api/v1/referrals?box=inbox")
    assert response.status_code == 200
    assert len(response.json()["results"]) == 5
    ran = [statement_text(q["sql"]) for q in ctx.captured_queries]
    pages = [s for s in ran if "unread_messages" in s]
    assert len(pages) == 1 and 'WHERE (t0."recipient_agency_id" = ' in pages[0], ran
    if connection.vendor == "postgresql":
        assert [q["sql"] for q in ctx.captured_queries if "rh_joined_" in q["sql"]], ran


@pytest.mark.parametrize("sort", SORTS)
@pytest.mark.parametrize("box", BOXES)
def test_a_page_renders_byte_for_byte_as_one_read_with_every_column(
    lists, alice, dave, carol, box, sort
):
    """The statement leaves out the sealed columns a list item does not show and joins the
    other tables to the page's rows only: what an item says is what it said with everything."""
    for actor in _people(alice, dave, carol):
        fast = referral_pages_for(actor, box=box, sort=sort).order_by(*_ordering(box, sort))
        every_column = referral_list_for(actor, box=box, sort=sort).defer(None)

        def rendered(rows: list[Referral], actor: Any = actor) -> bytes:
            items = referral_list_read(actor=actor, referrals=rows)
            return bytes(JSONRenderer().render([referral_list_item(i) for i in items]))

        page = fast[0:51]
        with CaptureQueriesContext(connection) as ctx:
            shown = rendered(page)
        reads = [q["sql"] for q in ctx.captured_queries if "audit" not in q["sql"]]
        assert not reads, "a list item read a column the statement left out"
        assert shown == rendered(list(every_column)), (actor.username, box, sort)


def test_the_other_tables_are_joined_to_one_page_of_referrals(api, lists, dave):
    """The page is chosen (ordered, limited) from the referrals alone, then joined: joining
    the whole box first made the server's work grow with the box, not the page."""
    client = api(dave)
    with CaptureQueriesContext(connection) as ctx:
        body = client.get("/api/v1/referrals?box=inbox").content
    (page,) = [
        s
        for s in map(statement_text, (q["sql"] for q in ctx.captured_queries))
        if "unread_messages" in s
    ]
    assert ' FROM (SELECT t0.* FROM "referrals_referral" t0 WHERE ' in page, page
    inner = page.split(' FROM (SELECT t0.* FROM "referrals_referral" t0 ', 1)[1].split(") t0 ")[0]
    # PostgreSQL's captured statement keeps its placeholders; SQLite's shows the values
    assert re.search(r"LIMIT (%s|\d+) OFFSET (%s|\d+)$", inner) and "JOIN" not in inner, page
    actor = actor_for_user(dave, auth_method="jwt")
    items = referral_list_read(
        actor=actor,
        referrals=list(referral_list_for(actor, box=INBOX, sort=BY_PRIORITY).defer(None)),
    )
    assert json.loads(body)["results"] == json.loads(
        JSONRenderer().render([referral_list_item(i) for i in items])
    )
