"""KEKs: wrong or missing keys fail closed (500 problem + audit); rotation rewraps online."""

from __future__ import annotations

import io
import json

import pytest
from django.core.management import CommandError, call_command

from audit.models import AuditEvent
from crypto.keyring import load_keyring, write_key_file
from crypto.models import DataKey, IndexKey
from crypto.rotation import pending_count, rewrap_batch
from tests.crypto.conftest import b64, new_ring, random_key

URL = "/api/v1/clients"


def _read(api, who, client):
    return api(who).get(f"{URL}/{client.pk}")


@pytest.mark.parametrize("breakage", ["wrong", "missing"])
def test_a_wrong_or_missing_kek_is_a_500_problem_naming_no_data(
    api, alice, eastside, make_client, key_file, breakage
):
    client = make_client(eastside, given_name="Zorbulina")
    ring = load_keyring()
    other = "spare"
    broken = (
        new_ring(ring, replace={ring.primary_id: random_key()})
        if breakage == "wrong"
        else new_ring(ring, primary=other, replace={other: random_key()}, drop=(ring.primary_id,))
    )
    write_key_file(str(key_file), broken)
    response = _read(api, alice, client)
    assert response.status_code == 500
    body = response.json()
    assert body["code"] == {"wrong": "decryption_failed", "missing": "key_unavailable"}[breakage]
    assert b"Zorbulina" not in response.content and "identity" not in body
    event = AuditEvent.objects.get(action="crypto.decrypt_failed")
    assert event.outcome == "error" and event.subject_ref


def _refused(response, *, table: str, row: object, agency: object) -> AuditEvent:
    """A 500 `decryption_failed` problem with no data, and its `crypto.decrypt_failed` row."""
    assert response.status_code == 500
    body = response.json()
    assert body["code"] == "decryption_failed" and "identity" not in body
    event = AuditEvent.objects.filter(action="crypto.decrypt_failed").latest("id")
    assert (event.outcome, event.reason) == ("error", "decryption_failed")
    assert (event.object_type, event.object_id) == (table, str(row))
    assert event.target_agency_id == agency
    return event


def test_a_ciphertext_swapped_between_rows_fails(api, alice, eastside, make_client):
    from clients.models import Client

    a, b = make_client(eastside, given_name="Anna"), make_client(eastside, given_name="Bella")
    Client.objects.filter(pk=b.pk).update(
        identity_sealed=Client.objects.get(pk=a.pk).identity_sealed
    )
    response = _read(api, alice, b)
    event = _refused(response, table="clients_client", row=b.pk, agency=eastside.id)
    assert b"Anna" not in response.content and event.subject_ref


def test_a_ciphertext_swapped_between_columns_fails(api, alice, eastside, make_client):
    from clients.models import Client

    a = make_client(eastside, given_name="Anna", risk_notes="calm")
    Client.objects.filter(pk=a.pk).update(safety_sealed=Client.objects.get(pk=a.pk).identity_sealed)
    response = _read(api, alice, a)
    _refused(response, table="clients_client", row=a.pk, agency=eastside.id)
    assert b"Anna" not in response.content


def test_a_client_moved_to_another_agency_fails(api, carol, eastside, harbor, make_client):
    from clients.models import Client

    a = make_client(eastside, given_name="Anna")
    Client.objects.filter(pk=a.pk).update(agency=harbor)
    response = _read(api, carol, a)
    _refused(response, table="clients_client", row=a.pk, agency=harbor.id)
    assert b"Anna" not in response.content


def test_a_wrapped_dek_swapped_between_clients_fails(api, alice, eastside, make_client):
    a, b = make_client(eastside, given_name="Anna"), make_client(eastside, given_name="Bella")
    DataKey.objects.filter(client=b).update(wrapped=DataKey.objects.get(client=a).wrapped)
    response = _read(api, alice, b)
    _refused(response, table="clients_client", row=b.pk, agency=eastside.id)
    assert b"Anna" not in response.content and b"Bella" not in response.content
    assert _read(api, alice, a).json()["identity"]["given_name"] == "Anna"


def test_wrapped_index_keys_swapped_between_agencies_fail(
    api, alice, eastside, harbor, make_client
):
    """Each agency's blind-index root is bound to that agency: a swap must not search."""
    make_client(eastside, given_name="Ana", family_name="Lopez", date_of_birth="1987-03-14")
    make_client(harbor, given_name="Ana", family_name="Lopez", date_of_birth="1987-03-14")
    east, harb = IndexKey.objects.get(agency=eastside), IndexKey.objects.get(agency=harbor)
    IndexKey.objects.filter(pk=east.pk).update(wrapped=harb.wrapped)
    IndexKey.objects.filter(pk=harb.pk).update(wrapped=east.wrapped)
    query = {"given_name": "Ana", "family_name": "Lopez", "date_of_birth": "1987-03-14"}
    response = api(alice).post(f"{URL}/search", query, format="json")
    _refused(response, table="crypto_indexkey", row=eastside.id, agency=eastside.id)
    assert b"Lopez" not in response.content and "results" not in response.json()
    assert not AuditEvent.objects.filter(action="client.search").exists()


def _add_primary(key_file) -> str:
    ring = load_keyring()
    write_key_file(
        str(key_file), new_ring(ring, primary="k-next", replace={"k-next": random_key()})
    )
    return ring.primary_id


def test_rotation_while_reading(api, alice, eastside, harbor, make_client, key_file):
    clients = [make_client(eastside, given_name=f"P{i}") for i in range(5)]
    make_client(harbor)
    caller = api(alice)
    old = _add_primary(key_file)
    assert pending_count() == 6 + 2  # six data keys, two agencies' index keys
    assert rewrap_batch(3) == 3  # half-way: some data keys under each KEK
    assert {DataKey.objects.filter(kek_id=k).count() for k in (old, "k-next")} == {3}
    for i, c in enumerate(clients):
        assert _read(api, alice, c).json()["identity"]["given_name"] == f"P{i}"
    assert caller.get(URL).status_code == 200
    while rewrap_batch(2):
        assert all(_read(api, alice, c).status_code == 200 for c in clients)
    assert set(DataKey.objects.values_list("kek_id", flat=True)) == {"k-next"}
    assert set(IndexKey.objects.values_list("kek_id", flat=True)) == {"k-next"}
    # the old KEK can go: everything still reads
    write_key_file(str(key_file), new_ring(load_keyring(), drop=(old,)))
    assert [_read(api, alice, c).json()["identity"]["given_name"] for c in clients] == [
        f"P{i}" for i in range(5)
    ]


def test_rotate_keys_command_adds_a_primary_rewraps_and_audits(eastside, make_client, key_file):
    for _ in range(3):
        make_client(eastside)
    old = load_keyring().primary_id
    out, err = io.StringIO(), io.StringIO()
    call_command("rotate_keys", "--batch-size", "2", stdout=out, stderr=err)
    stored = json.loads(key_file.read_text())
    new = stored["primary"]
    assert new != old and set(stored["keys"]) == {old, new}
    assert "rewrapping [" in err.getvalue() and "3/3" not in out.getvalue()
    assert set(DataKey.objects.values_list("kek_id", flat=True)) == {new}
    event = AuditEvent.objects.get(action="key.rotate")
    assert (
        event.outcome == "allow"
        and event.object_id == new
        and event.reason.startswith("rewrapped=")
    )

    status = io.StringIO()
    call_command("rotate_keys", "--status", stdout=status)
    lines = {line.split()[0]: line for line in status.getvalue().splitlines()[1:]}
    assert "3 data keys" in lines[new] and "primary" in lines[new]
    assert "safe to retire" in lines[old]
    call_command("rotate_keys", "--retire", old, stdout=io.StringIO())
    assert set(json.loads(key_file.read_text())["keys"]) == {new}


def test_retire_refuses_a_key_in_use(eastside, make_client, key_file):
    make_client(eastside)
    old = _add_primary(key_file)
    with pytest.raises(CommandError, match="still in use"):
        call_command("rotate_keys", "--retire", old, stdout=io.StringIO())
    call_command("rotate_keys", "--resume", stdout=io.StringIO(), stderr=io.StringIO())
    assert pending_count() == 0


def test_env_based_rings_get_instructions_then_resume(settings, eastside, make_client):
    ring = load_keyring()
    settings.FIELD_KEYS_FILE = None
    settings.FIELD_KEYS = f"{ring.primary_id}:{b64(ring.primary)}"
    settings.FIELD_PRIMARY_KEY_ID = None
    try:
        make_client(eastside)
        with pytest.raises(CommandError, match="FIELD_PRIMARY_KEY_ID=<new-id>"):
            call_command("rotate_keys", stdout=io.StringIO())
        settings.FIELD_KEYS += f",env2:{b64(random_key())}"
        settings.FIELD_PRIMARY_KEY_ID = "env2"
        call_command("rotate_keys", "--resume", stdout=io.StringIO(), stderr=io.StringIO())
        assert set(DataKey.objects.values_list("kek_id", flat=True)) == {"env2"}
    finally:
        load_keyring.cache_clear()


def test_erased_keys_are_not_rewrapped(api, sam, eastside, make_client, key_file):
    client = make_client(eastside)
    api(sam).post(f"{URL}/{client.pk}/erase", {"confirm": True}, format="json")
    _add_primary(key_file)
    assert pending_count() == 1  # only the agency's index key
    stored = DataKey.objects.get(client=client)
    assert bytes(stored.wrapped) == b"" and stored.destroyed_at is not None


def test_rotate_keys_also_moves_webhook_signing_secrets(adam, key_file):
    from tests.conftest import actor
    from webhooks import signing
    from webhooks.models import Subscription
    from webhooks.services import subscription_create

    sub, secret = subscription_create(
        actor=actor(adam), url="http://127.0.0.1:9/hooks", event_types=["*"]
    )
    old = load_keyring().primary_id
    out = io.StringIO()
    call_command("rotate_keys", stdout=out, stderr=io.StringIO())
    sub = Subscription.objects.get(pk=sub.pk)
    assert sub.secret_key_id != old and sub.secret_key_id == load_keyring().primary_id
    ids = {"subscription_id": sub.id, "agency_id": sub.agency_id}
    assert signing.secret_decrypt(sub.secret_key_id, sub.secret_ciphertext, **ids) == secret
    assert "1 webhook/TOTP secrets" in out.getvalue()


def test_rotate_keys_also_moves_totp_seeds(alice, key_file):
    from accounts.factors import totp_secret_of
    from accounts.models import User
    from tests.conftest import enrol_totp

    secret = enrol_totp(alice).secret
    old = load_keyring().primary_id
    call_command("rotate_keys", stdout=io.StringIO(), stderr=io.StringIO())
    alice = User.objects.get(pk=alice.pk)
    assert alice.totp_key_id != old and alice.totp_key_id == load_keyring().primary_id
    assert totp_secret_of(alice) == secret
    status = io.StringIO()
    call_command("rotate_keys", "--status", stdout=status)
    assert "TOTP" in status.getvalue()
