"""No plaintext at rest: raw rows, audit rows, logs and outbox hold none of the canary values."""

from __future__ import annotations

import logging

from django.conf import settings
from django.db import connection

from audit.models import AuditEvent
from tests.audit.canary import assert_no_values_in_audit
from tests.clients.conftest import canary_strings

URL = "/api/v1/clients"


def _exercise(api, alice, sam, canaries) -> str:
    """Create, read, list, update, search and erase one client holding every canary."""
    caller = api(alice)
    created = caller.post(URL, canaries, format="json", HTTP_IDEMPOTENCY_KEY="k1").json()
    caller.get(f"{URL}/{created['id']}")
    caller.get(URL)
    caller.patch(
        f"{URL}/{created['id']}", {"contact": {"phone": "+1 555 0199 7732"}}, format="json"
    )
    caller.post(
        f"{URL}/search",
        {k: canaries["identity"][k] for k in ("given_name", "family_name", "date_of_birth")},
        format="json",
    )
    caller.post(
        URL, {"identity": {"given_name": "Zorbulina", "family_name": "x" * 300}}, format="json"
    )
    return created["id"]


def _all_rows() -> list[tuple[str, tuple]]:
    rows = []
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names():
            cursor.execute(f'SELECT * FROM "{table}"')  # noqa: S608 - table names from introspection
            rows += [(table, row) for row in cursor.fetchall()]
    return rows


def _as_text(value: object) -> str:
    if isinstance(value, memoryview | bytes | bytearray):
        return bytes(value).decode("latin-1")
    return str(value)


def test_no_table_holds_a_canary_in_plaintext(api, alice, sam, canaries):
    _exercise(api, alice, sam, canaries)
    found = [
        (table, canary)
        for table, row in _all_rows()
        for canary in canary_strings()
        for cell in row
        if canary.casefold() in _as_text(cell).casefold()
    ]
    assert found == []


def test_audit_rows_hold_no_canary(api, alice, sam, canaries):
    client_id = _exercise(api, alice, sam, canaries)
    api(sam).post(f"{URL}/{client_id}/erase", {"confirm": True}, format="json")
    events = list(AuditEvent.objects.all())
    assert {
        "client.create",
        "client.read",
        "client.list",
        "client.update",
        "client.search",
        "client.erase",
    } <= {e.action for e in events}
    assert_no_values_in_audit(canary_strings())
    blob = "\n".join(bytes(e.canonical).decode() + repr(e.__dict__) for e in events).casefold()
    assert [c for c in canary_strings() if c.casefold() in blob] == []
    # Events about the client carry its pseudonym (subject_ref), which survives shredding.
    assert all(e.subject_ref for e in events if e.object_id == client_id)


def test_logs_hold_no_canary(api, alice, sam, canaries, caplog):
    caplog.set_level(logging.DEBUG)
    _exercise(api, alice, sam, canaries)
    text = caplog.text.casefold()
    assert [c for c in canary_strings() if c.casefold() in text] == []


def test_the_django_admin_is_not_enabled(anon):
    assert "django.contrib.admin" not in settings.INSTALLED_APPS
    assert anon.get("/admin/").status_code == 404


def test_an_erased_client_stays_unreadable_with_every_key(api, alice, sam, eastside, make_client):
    """Someone holding the database, an old copy of the ciphertext and the whole key ring still
    cannot read an erased client: the only copy of its DEK was overwritten."""
    from clients.models import Client
    from crypto.models import DataKey

    client = make_client(eastside, given_name="Zorbulina", risk_notes="Canary risk")
    backup = Client.objects.filter(pk=client.pk).values("identity_sealed", "safety_sealed").get()
    api(sam).post(f"{URL}/{client.pk}/erase", {"confirm": True}, format="json")

    row = (
        Client.objects.filter(pk=client.pk)
        .values("identity_sealed", "safety_sealed", "search_index")
        .get()
    )
    assert set(row.values()) == {None}
    assert bytes(DataKey.objects.get(client=client).wrapped) == b""

    # restore the old ciphertext and clear every "erased" flag: still nothing decrypts
    Client.objects.filter(pk=client.pk).update(erased_at=None, **backup)
    DataKey.objects.filter(client=client).update(destroyed_at=None)
    response = api(alice).get(f"{URL}/{client.pk}")
    assert response.status_code == 500
    assert b"Zorbulina" not in response.content and b"Canary" not in response.content
