"""The hot lookups in one statement (`core.joined`): the same objects as the ORM, from the models.

`referral_get_for` (every read of one referral) and the create's client + recipient + consent
lookup are each one SELECT built from the models' metadata. They must return what the ORM's
`select_related` returns, field for field, render the same, need no further query, and pick a
column added to a model up without anyone editing a list.
"""

from __future__ import annotations

import contextlib
import uuid
from typing import Any

import pytest
from django.apps import apps
from django.db import connection, models
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.selectors import actor_for_user
from agencies.models import Agency
from api.v1.referral_io import referral_summary
from clients.fields import COLUMNS
from consent.models import Consent
from core.joined import Joined, statement_text
from referrals.consents import referral_parties
from referrals.models import Referral
from referrals.selectors import DETAIL_RELATED, referral_get_for
from referrals.summary import referral_summary_of
from tests.referrals.conftest import revoke


def _walk(obj: Any, path: str) -> Any:
    for name in filter(None, path.split("__")):
        obj = getattr(obj, name)
    return obj


def _same(fast: Any, orm: Any, paths: tuple[str, ...]) -> None:
    for path in ("", *paths):
        a, b = _walk(fast, path), _walk(orm, path)
        assert type(a) is type(b), path
        if b is None:
            continue
        deferred = b.get_deferred_fields()
        assert a.get_deferred_fields() == deferred, path
        loaded = [f.attname for f in type(b)._meta.concrete_fields if f.attname not in deferred]
        assert [getattr(a, n) for n in loaded] == [getattr(b, n) for n in loaded], path
        assert (a._state.db, a._state.adding) == (b._state.db, b._state.adding), path


def _actor(user):  # type: ignore[no-untyped-def]
    return actor_for_user(user, auth_method="password")


def test_the_referral_lookup_returns_what_select_related_returns(
    send, alice, dave, django_assert_num_queries
):
    referral_id = uuid.UUID(send()["id"])
    orm = Referral.objects.select_related(*DETAIL_RELATED).get(pk=referral_id)
    for user in (alice, dave):
        actor = _actor(user)
        with django_assert_num_queries(1):
            fast = referral_get_for(actor=actor, referral_id=referral_id)
        with django_assert_num_queries(0):  # everything a read touches came in that statement
            _same(fast, orm, DETAIL_RELATED)
            assert fast.client.data_key.client is fast.client
        assert referral_summary(referral_summary_of(actor=actor, referral=fast)) == (
            referral_summary(referral_summary_of(actor=actor, referral=orm))
        )


def test_a_referral_without_a_program_has_none_cached(send, alice, django_assert_num_queries):
    fast = referral_get_for(actor=_actor(alice), referral_id=uuid.UUID(send()["id"]))
    with django_assert_num_queries(0):
        assert fast.program is None


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_lookup_is_planned_once_per_connection_and_survives_a_reconnect(
    send, alice, django_assert_num_queries
):
    """PostgreSQL: the lookup is a prepared statement (PREPARE + EXECUTE in one round trip the
    first time on a session, EXECUTE after); a new session prepares it again, and a failed first
    use does not leave a name the session never prepared."""
    from django.db import DatabaseError, connections, transaction

    referral_id = uuid.UUID(send()["id"])
    actor = _actor(alice)

    def read() -> str:
        with CaptureQueriesContext(connection) as ctx:
            assert referral_get_for(actor=actor, referral_id=referral_id).pk == referral_id
        assert len(ctx.captured_queries) == 1
        return str(ctx.captured_queries[0]["sql"])

    read()
    assert read().startswith("EXECUTE rh_joined_")
    connection.close()  # the next query opens a new session: nothing is prepared there
    assert read().startswith("PREPARE rh_joined_")
    assert read().startswith("EXECUTE rh_joined_")
    with pytest.raises(DatabaseError), transaction.atomic():
        with connection.cursor() as cursor, contextlib.suppress(DatabaseError):
            cursor.execute("SELECT 1/0")  # the transaction is aborted ...
        connections["default"].__dict__.pop("_joined_prepared")  # ... a session new to it
        read()  # its first use fails
    assert read().startswith("PREPARE rh_joined_")  # prepared again, under a new name
    assert read().startswith("EXECUTE rh_joined_")


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_lookup_that_opens_the_connection_is_prepared_once(send, alice):
    """The first statement of a fresh connection (a new request thread) may be a prepared
    lookup: it must be remembered for that session, not prepared again under a name the
    session already holds (it was: `DuplicatePreparedStatement` on the second lookup)."""
    referral_id = uuid.UUID(send()["id"])
    actor = _actor(alice)
    connection.close()
    assert connection.connection is None
    for _ in range(3):  # no CaptureQueriesContext here: it would open the connection first
        assert referral_get_for(actor=actor, referral_id=referral_id).pk == referral_id
    with CaptureQueriesContext(connection) as ctx:
        referral_get_for(actor=actor, referral_id=referral_id)
    assert str(ctx.captured_queries[0]["sql"]).startswith("EXECUTE rh_joined_")


LOCKED_RELATED = ("client", "sender_agency", "recipient_agency", "program")


def test_the_locked_row_is_one_statement_with_what_the_summary_names(
    send, alice, dave, django_assert_num_queries
):
    """A transition, assign or attach locks the referral and answers with its summary: the
    lock takes one statement (FOR NO KEY UPDATE of the referral only, on PostgreSQL) and the
    summary no further query (it used to SELECT both agencies after the lock)."""
    from django.db import transaction

    from referrals.transitions import locked_row

    referral_id = uuid.UUID(send()["id"])
    orm = Referral.objects.select_related(*LOCKED_RELATED).get(pk=referral_id)
    with transaction.atomic(), CaptureQueriesContext(connection) as ctx:
        locked = locked_row(orm)
        with django_assert_num_queries(0):
            _same(locked, orm, LOCKED_RELATED)
            rendered = referral_summary(referral_summary_of(actor=_actor(dave), referral=locked))
    assert len(ctx.captured_queries) == 1
    if connection.vendor == "postgresql":
        ran = statement_text(ctx.captured_queries[0]["sql"])
        assert ran.endswith("FOR NO KEY UPDATE OF t0"), ran
    assert rendered == referral_summary(referral_summary_of(actor=_actor(dave), referral=orm))


def test_the_create_lookup_returns_what_select_related_returns(
    alice, ana, safehouse, ana_consent, django_assert_num_queries
):
    paths = ("client", "client__data_key", "client__agency", "recipient_agency")
    orm = (
        Consent.objects.select_related(*paths)
        .defer(*(f"client__{c}" for c in (*COLUMNS, "search_index", "name_index")))
        .get(pk=ana_consent.pk)
    )
    with django_assert_num_queries(1):
        parties = referral_parties(
            actor=_actor(alice),
            client_id=ana.pk,
            recipient_id=safehouse.pk,
            consent_id=ana_consent.pk,
            service_type="shelter",
            at=timezone.now(),
        )
    assert parties is not None
    with django_assert_num_queries(0):
        _same(parties.consent, orm, paths)
        assert parties.client.agency.pk == alice.agency_id


def test_the_create_lookup_defers_to_the_step_by_step_checks_when_anything_is_amiss(
    alice, dave, ana, safehouse, ana_consent
):
    ask = {
        "client_id": ana.pk,
        "recipient_id": safehouse.pk,
        "consent_id": ana_consent.pk,
        "service_type": "shelter",
        "at": timezone.now(),
    }
    assert referral_parties(actor=_actor(dave), **ask) is None  # not dave's client
    legal = {**ask, "service_type": "civil_legal_aid"}  # a housing consent does not cover it
    assert referral_parties(actor=_actor(alice), **legal) is None
    revoke(ana_consent)
    assert referral_parties(actor=_actor(alice), **ask) is None


def test_a_create_is_one_lookup_no_savepoint_and_nothing_after_commit(
    api, alice, ana, safehouse, ana_consent
):
    from tests.referrals.conftest import referral_body

    body, client = referral_body(ana, safehouse, ana_consent), api(alice)
    with CaptureQueriesContext(connection) as queries:
        response = client.post(
            "/api/v1/referrals", body, format="json", HTTP_IDEMPOTENCY_KEY="one-lookup"
        )
    assert response.status_code == 201, response.content
    assert response.json()["sender_agency"]["id"] == str(alice.agency_id)
    sql = [statement_text(q["sql"]) for q in queries.captured_queries]
    # One SAVEPOINT: the wrapper's own transaction, nested only because the test runs inside
    # one; the create inside it takes none.
    assert len([s for s in sql if s.startswith("SAVEPOINT")]) == 1, sql
    assert not [s for s in sql if s.upper().startswith("DELETE")], sql
    lookups = [s for s in sql if s.startswith("SELECT") and '"consent_consent"' in s]
    assert len(lookups) == 1 and '"clients_client"' in lookups[0], lookups
    assert not [s for s in sql if '"agencies_agency"' in s and s.startswith("SELECT")][1:], sql


def test_every_column_of_every_model_on_the_path_is_selected():
    sql = Joined(Referral, *DETAIL_RELATED).sql()
    for table in Joined(Referral, *DETAIL_RELATED).tables():
        for field in table.model._meta.concrete_fields:
            assert f'{table.alias}."{field.column}"' in sql, (table.path, field.column)


@pytest.fixture
def probe_column():  # type: ignore[no-untyped-def]
    """A column added to Agency for the length of one test (the table itself is untouched)."""
    field = models.CharField(max_length=8, null=True, blank=True)  # noqa: DJ001
    field.contribute_to_class(Agency, "perf_probe")
    yield field
    Agency._meta.local_fields.remove(field)
    delattr(Agency, "perf_probe")
    Agency._meta._expire_cache()
    apps.clear_cache()


def test_a_column_added_to_a_model_is_picked_up_without_editing_a_list(probe_column):
    joined = Joined(Referral, *DETAIL_RELATED)
    sql = joined.sql()
    assert sql.count('."perf_probe"') == 2, sql  # the sender and the recipient agency
    names = [[f.name for f in t.fields] for t in joined.tables() if t.model is Agency]
    assert all("perf_probe" in n for n in names)


def test_the_client_lookup_returns_what_client_qs_for_returns(
    alice, ana, django_assert_num_queries
):
    from clients.selectors import ACCOUNTING, READ, REFER, client_get_for, client_qs_for

    actor = _actor(alice)
    for need in (READ, REFER, ACCOUNTING):
        orm = client_qs_for(actor, need=need).get(pk=ana.pk)
        with django_assert_num_queries(1):
            fast = client_get_for(actor=actor, client_id=ana.pk, need=need)
        with django_assert_num_queries(0):
            _same(fast, orm, ("data_key",) if need.key else ())


@pytest.mark.postgres
def test_behind_a_transaction_pooler_the_lookups_are_plain_statements(send, alice):
    """`DB_TRANSACTION_POOLER` (Django's DISABLE_SERVER_SIDE_CURSORS): no PREPARE/EXECUTE, whose
    statement would not follow the transaction to another server session."""
    referral_id = uuid.UUID(send()["id"])
    connection.settings_dict["DISABLE_SERVER_SIDE_CURSORS"] = True
    try:
        with CaptureQueriesContext(connection) as ctx:
            assert referral_get_for(actor=_actor(alice), referral_id=referral_id).pk == referral_id
    finally:
        connection.settings_dict["DISABLE_SERVER_SIDE_CURSORS"] = False
    assert len(ctx.captured_queries) == 1
    assert str(ctx.captured_queries[0]["sql"]).startswith("SELECT ")


def _made(obj: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    """What an instance holds: its attributes and its state (the related-object cache aside)."""
    attrs = {k: v for k, v in vars(obj).items() if k != "_state"}
    state = {k: v for k, v in vars(obj._state).items() if k != "fields_cache"}
    return attrs, state


def test_an_instance_is_what_from_db_makes(send, alice):
    """Each table's row becomes the instance `Model.from_db` would make (made without
    `__init__` where that only sets attributes): same attributes in the same order, same
    state; with a `post_init` receiver connected, through `from_db` itself."""
    from django.db.models.signals import post_init

    referral_id = uuid.UUID(send()["id"])
    joined = Joined(Referral, *DETAIL_RELATED, defer={"client": ["search_index"]})
    fast = joined.fetch(referral_id)
    for table in joined.tables():
        assert table.plain, table.model
        obj = _walk(fast, table.path)
        if obj is None:
            continue
        names = table.attnames
        made = table.model.from_db("default", names, [getattr(obj, n) for n in names])
        assert _made(obj) == _made(made), table.path
        assert list(vars(obj)) == list(vars(made)), table.path
    seen: list[Any] = []

    def saw(sender: Any, instance: Any, **kwargs: Any) -> None:
        seen.append(instance)

    post_init.connect(saw, sender=Agency)
    try:
        again = joined.fetch(referral_id)
    finally:
        post_init.disconnect(saw, sender=Agency)
    assert seen == [again.sender_agency, again.recipient_agency]
