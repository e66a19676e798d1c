"""Canary scan (DESIGN §2.3): survivor values never rest in plaintext outside an authorised answer.

One test pushes distinctive values through every PII path (client create and update of every
field of every category, search, consent detail and revocation, referral reason, messages,
a transition reason, erasure, invalid input, failed sign-in), with webhooks delivered to live
receivers. It then searches, case-insensitively and also in hex and base64 form:

* every text, bytes and JSON column of every row of every table (raw SQL, so nothing the ORM
  hides: audit rows with their canonical bytes, outbox payloads, deliveries and attempts,
  idempotency records, ciphertexts and blind indexes);
* every log record of every logger at DEBUG, including each SQL statement with its parameters;
* the bodies the webhook receivers got;
* every error body the API produced on the way.
"""

from __future__ import annotations

import base64
import json
import logging
from collections.abc import Iterator
from typing import Any

import pytest
from django.db import connection

from accounts.models import User
from audit.models import AuditEvent
from core.models import IdempotencyRecord
from referral_hub.logging import JsonFormatter
from tests.audit.canary import assert_no_values_in_audit
from tests.conftest import access_token_for, actor
from tests.factories import UserFactory
from tests.webhooks.receiver import Receiver
from webhooks.models import Delivery, OutboxEvent

TOKEN = "Cnry7f3a"  # every canary string carries it
DOB, DOB2 = "1961-10-13", "1958-04-27"


def _client_values(tag: str, dob: str) -> dict[str, dict[str, Any]]:
    v = f"{TOKEN}-{tag}"
    return {
        "identity": {
            "given_name": f"{v}-Given",
            "family_name": f"{v}-Family",
            "preferred_name": f"{v}-Pref",
            "date_of_birth": dob,
        },
        "contact": {
            "phone": f"{v}-555-0101",
            "email": f"{v.lower()}.mail@example.test",
            "address": f"12 {v} Street",
            "safe_contact_instructions": f"{v}-SafeContact",
        },
        "demographics": {
            "gender": f"{v}-Gender",
            "preferred_language": f"{v}-Lang",
            "household_size": 9,
        },
        "safety": {"risk_notes": f"{v}-Risk"},
        "immigration": {"status": f"{v}-ImmStatus", "notes": f"{v}-ImmNotes"},
        "health": {"notes": f"{v}-Health"},
    }


CREATED = _client_values("Orig", DOB)
UPDATED = _client_values("Upd", DOB2)


def _needles() -> list[str]:
    return [TOKEN.casefold(), DOB, DOB2]


def _encoded_forms(value: str) -> list[str]:
    """Hex and base64 renderings (at each of the three byte alignments) of `value`."""
    raw = value.encode()
    forms = [raw.hex()]
    for pad in range(3):
        encoded = base64.b64encode(b"\0" * pad + raw).decode()
        forms.append(encoded[4 : len(encoded) - 4])  # the stable middle part
    return [f for f in forms if len(f) >= 8]


def _find(text: str) -> list[str]:
    folded = text.casefold()
    hits = [n for n in _needles() if n.casefold() in folded]
    for value in (f"{TOKEN}-Orig-Given", f"{TOKEN}-Upd-Risk", f"{TOKEN}-Reason"):
        hits += [f for f in _encoded_forms(value) if f in text]
    return hits


# --- capture -------------------------------------------------------------------------------------
class _Capture(logging.Handler):
    def __init__(self) -> None:
        super().__init__(level=logging.DEBUG)
        self.lines: list[str] = []
        self.formatter_ = JsonFormatter()

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.formatter_.format(record))
        self.lines.append(repr(record.args))


@pytest.fixture
def logs() -> Iterator[_Capture]:
    """Every record of every logger at DEBUG, SQL statements with their parameters included."""
    capture = _Capture()
    loggers = [logging.getLogger()] + [
        logging.getLogger(name) for name in list(logging.root.manager.loggerDict)
    ]
    saved = [(lg, lg.level, lg.propagate, lg.disabled) for lg in loggers]
    for lg in loggers:
        lg.setLevel(logging.DEBUG)
        lg.disabled = False
        lg.addHandler(capture)
        lg.propagate = False  # each logger reports once, to the capture
    forced = connection.force_debug_cursor
    connection.force_debug_cursor = True
    yield capture
    connection.force_debug_cursor = forced
    for lg, level, propagate, disabled in saved:
        lg.removeHandler(capture)
        lg.setLevel(level)
        lg.propagate = propagate
        lg.disabled = disabled


def _rows_of_every_table() -> Iterator[tuple[str, str]]:
    """(table, one row rendered as text) for every row of every table, by raw SQL."""
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        for table in sorted(connection.introspection.table_names(cursor)):
            cursor.execute(f"SELECT * FROM {quote(table)}")  # noqa: S608 - introspected names
            for row in cursor.fetchall():
                yield table, "\x1f".join(_text(v) for v in row)


def _text(value: Any) -> str:
    if isinstance(value, bytes | memoryview | bytearray):
        raw = bytes(value)
        return raw.decode("utf-8", "replace") + "\x1f" + raw.decode("latin-1")
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


# --- the scan ------------------------------------------------------------------------------------
class Api:
    """Calls the API and keeps every error body for the final scan."""

    def __init__(self) -> None:
        self.errors: list[tuple[str, bytes]] = []

    def __call__(
        self, who: User | None, method: str, url: str, body: Any = None, **headers: str
    ) -> Any:
        from rest_framework.test import APIClient

        client = APIClient()
        if who is not None:
            client.credentials(HTTP_AUTHORIZATION=f"Bearer {access_token_for(who)}")
        response = getattr(client, method)(url, body, format="json", **headers)
        if response.status_code >= 400:
            self.errors.append(
                (f"{method.upper()} {url} -> {response.status_code}", response.content)
            )
        return response


def _ok(response: Any, status: int = 200) -> dict[str, Any]:
    assert response.status_code == status, (response.status_code, response.content[:300])
    return response.json()  # type: ignore[no-any-return]


def _bad(response: Any, status: int = 400) -> None:
    assert response.status_code == status, (response.status_code, response.content[:300])


@pytest.mark.django_db(transaction=True)
def test_no_canary_survives_outside_authorised_answers(  # type: ignore[no-untyped-def]
    logs, settings, eastside, safehouse, alice, sam, dave, adam
):
    settings.WEBHOOK_ALLOW_PRIVATE = True
    settings.WEBHOOK_TIMEOUT_SECONDS = 2
    settings.AUDIT_INDEPENDENT_ALIAS = "audit"  # denials really take the independent path
    call = Api()
    receivers = {"a": Receiver(), "b": Receiver()}
    try:
        _drive(call, receivers, safehouse, alice, sam, dave, adam)
    finally:
        for receiver in receivers.values():
            receiver.stop()

    # The paths really ran: outbox, deliveries, idempotency records, audit rows all exist.
    assert OutboxEvent.objects.count() >= 5
    assert Delivery.objects.filter(delivered_at__isnull=False).count() >= 2
    assert IdempotencyRecord.objects.count() >= 3
    assert AuditEvent.objects.count() >= 20
    assert len(call.errors) >= 10

    leaks: list[str] = []
    scanned = 0
    for table, row in _rows_of_every_table():
        scanned += 1
        if hits := _find(row):
            leaks.append(f"table {table}: {hits}")
    assert scanned > 50
    for line in logs.lines:
        if hits := _find(line):
            leaks.append(f"log line {line[:160]!r}: {hits}")
    assert any("SELECT" in line for line in logs.lines), "SQL statements were not captured"
    for name, receiver in receivers.items():
        for msg_id, got in receiver.accepted.items():
            if hits := _find(json.dumps(got["event"])):
                leaks.append(f"webhook {msg_id} to {name}: {hits}")
    for label, body in call.errors:
        if hits := _find(body.decode("utf-8", "replace")):
            leaks.append(f"error body of {label}: {hits}")
    assert not leaks, "canary values leaked:\n" + "\n".join(leaks)
    assert_no_values_in_audit([TOKEN, DOB, DOB2])


def _drive(call: Api, receivers: dict[str, Receiver], safehouse, alice, sam, dave, adam) -> None:  # type: ignore[no-untyped-def]
    from webhooks.services import subscription_create
    from webhooks.worker import worker_drain

    for name, admin_agency_actor in (("a", actor(adam)), ("b", None)):
        if admin_agency_actor is None:
            b_admin = UserFactory(username="b-admin", agency=safehouse, role="agency_admin")
            admin_agency_actor = actor(b_admin)
        _sub, secret = subscription_create(
            actor=admin_agency_actor, url=receivers[name].url, event_types=["*"]
        )
        receivers[name].secret = secret

    # Clients: create (every field), read, list, update (every field), search (hit and miss).
    key = {"HTTP_IDEMPOTENCY_KEY": "canary-create-1"}
    client = _ok(call(alice, "post", "/api/v1/clients", CREATED, **key), 201)
    _ok(call(alice, "post", "/api/v1/clients", CREATED, **key), 201)  # idempotent replay
    cid = client["id"]
    _ok(call(alice, "get", f"/api/v1/clients/{cid}"))
    _ok(call(alice, "get", "/api/v1/clients"))
    _ok(call(alice, "patch", f"/api/v1/clients/{cid}", UPDATED))
    ident = UPDATED["identity"]
    search = {k: ident[k] for k in ("given_name", "family_name", "date_of_birth")}
    assert _ok(call(alice, "post", "/api/v1/clients/search", search))["results"]
    miss = {**search, "given_name": f"{TOKEN}-SearchMiss"}
    assert not _ok(call(alice, "post", "/api/v1/clients/search", miss))["results"]

    # Consent with free text, a referral with a reason, messages both ways, a rejection reason.
    from tests.security.world import grant_body

    grant = grant_body(safehouse, purpose_detail=f"{TOKEN}-Purpose")
    consent = _ok(call(alice, "post", f"/api/v1/clients/{cid}/consents", grant), 201)
    referral_body = {
        "client_id": cid,
        "recipient_agency_id": str(safehouse.id),
        "consent_id": consent["id"],
        "service_type": "shelter",
        "priority": "urgent",
        "reason": f"{TOKEN}-Reason",
    }
    rkey = {"HTTP_IDEMPOTENCY_KEY": "canary-referral-1"}
    referral = _ok(call(alice, "post", "/api/v1/referrals", referral_body, **rkey), 201)
    _ok(call(alice, "post", "/api/v1/referrals", referral_body, **rkey), 201)
    rid = referral["id"]
    mkey = {"HTTP_IDEMPOTENCY_KEY": "canary-message-1"}
    msg = {"body": f"{TOKEN}-Msg-A"}
    _ok(call(alice, "post", f"/api/v1/referrals/{rid}/messages", msg, **mkey), 201)
    _ok(call(dave, "get", f"/api/v1/referrals/{rid}"))
    _ok(call(dave, "get", f"/api/v1/referrals/{rid}/fhir"))
    _ok(call(dave, "post", f"/api/v1/referrals/{rid}/messages", {"body": f"{TOKEN}-Msg-B"}), 201)
    _ok(call(dave, "get", f"/api/v1/referrals/{rid}/messages"))
    second = _ok(call(alice, "post", "/api/v1/referrals", referral_body), 201)
    reject = {"to": "rejected", "reason": f"{TOKEN}-Reject"}
    _ok(call(dave, "post", f"/api/v1/referrals/{second['id']}/transitions", reject))
    revoke = {"reason": f"{TOKEN}-Revoke"}
    _ok(call(alice, "post", f"/api/v1/consents/{consent['id']}/revoke", revoke))
    _ok(call(alice, "get", f"/api/v1/consents/{consent['id']}"))
    _ok(call(dave, "get", f"/api/v1/referrals/{rid}"))  # consent revoked: categories withheld

    # Error paths with canaries in the invalid values.
    bad_fields = [
        {"identity": {"given_name": f"{TOKEN}-TooLong" + "x" * 200, "family_name": "A"}},
        {"identity": {"given_name": "A", "family_name": "B", "date_of_birth": f"{TOKEN}-Dob"}},
        {"identity": {"given_name": "A", "family_name": "B"}, "contact": {"email": f"{TOKEN}-@"}},
        {
            "identity": {"given_name": "A", "family_name": "B"},
            "demographics": {"household_size": f"{TOKEN}"},
        },
        {
            "identity": {"given_name": "A", "family_name": "B"},
            "safety": {"risk_notes": f"{TOKEN}" * 600},
        },
        {"identity": {"given_name": f"{TOKEN}-NoFamily"}},
        {"identity": {"given_name": "A", "family_name": "B"}, "safety": f"{TOKEN}-NotAnObject"},
    ]
    for body in bad_fields:
        _bad(call(alice, "post", "/api/v1/clients", body))
    _bad(call(alice, "post", "/api/v1/clients/search", {**search, "date_of_birth": f"{TOKEN}"}))
    _bad(call(alice, "patch", f"/api/v1/clients/{cid}", {"contact": {"email": f"{TOKEN}"}}))
    _bad(call(alice, "post", f"/api/v1/referrals/{rid}/messages", {"body": TOKEN * 1200}))
    _bad(call(alice, "post", "/api/v1/referrals", {**referral_body, "reason": TOKEN * 600}))
    _bad(call(alice, "post", "/api/v1/referrals", {**referral_body, "reason": None}))
    _bad(call(alice, "post", "/api/v1/referrals", referral_body), 409)  # consent revoked
    too_long = grant_body(safehouse, purpose_detail=TOKEN * 200)
    _bad(call(alice, "post", f"/api/v1/clients/{cid}/consents", too_long))
    _bad(call(alice, "post", f"/api/v1/consents/{consent['id']}/revoke", {"reason": TOKEN * 200}))
    conflict = {**CREATED, "safety": {"risk_notes": f"{TOKEN}-OtherBody"}}
    replay = call(alice, "post", "/api/v1/clients", conflict, **key)
    assert replay.status_code in (409, 422), replay.content[:200]
    # Not yours / not allowed, with canary bodies.
    _bad(call(dave, "patch", f"/api/v1/clients/{cid}", UPDATED), 404)
    _bad(call(adam, "patch", f"/api/v1/clients/{cid}", UPDATED), 403)
    _bad(call(None, "post", "/api/v1/clients", CREATED), 401)
    # A failed sign-in with a canary password.
    _bad(call(None, "post", "/api/v1/auth/token", {"username": "alice", "password": TOKEN}), 401)

    # Erase a second client after it was referred to; then deliver every webhook.
    other = _ok(call(alice, "post", "/api/v1/clients", _client_values("Erased", DOB)), 201)
    _ok(call(sam, "post", f"/api/v1/clients/{other['id']}/erase", {"confirm": True}))
    _ok(call(alice, "get", f"/api/v1/clients/{other['id']}"))
    worker_drain(max_ticks=20)


def test_the_scanner_finds_planted_values(logs, eastside):  # type: ignore[no-untyped-def]
    """The scan is only evidence if it can fail: plant values in plain, hex, base64 and logs."""
    from agencies.models import Program

    Program.objects.create(agency=eastside, name=f"{TOKEN}-planted", service_type="shelter")
    encoded = _encoded_forms(f"{TOKEN}-Upd-Risk")[2]
    Program.objects.create(agency=eastside, name="p2", service_type="shelter", description=encoded)
    logging.getLogger("referral_hub.anything").debug("value %s", DOB)
    found = [hits for _table, row in _rows_of_every_table() if (hits := _find(row))]
    assert [TOKEN.casefold()] in found and [encoded] in found
    assert any(_find(line) == [DOB] for line in logs.lines)
