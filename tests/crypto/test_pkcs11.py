"""KEKs and the checkpoint key inside a PKCS#11 token (SoftHSM2): they never leave it.

Create the token's keys, wrap and unwrap data keys inside it, rotate online (a new KEK in the
token, everything rewrapped, the old one destroyed), and fail closed on a wrong PIN, a missing
KEK or a wrapped key moved to another client. Skipped with a message when SoftHSM2 cannot be
installed (see tests/softhsm.py).
"""

from __future__ import annotations

import base64
import io
import json

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from django.core.management import CommandError, call_command

from audit.models import AuditEvent
from core import hsm
from crypto.models import DataKey, IndexKey
from crypto.pkcs11_provider import Pkcs11KeyProvider
from crypto.rotation import pending_count
from tests.softhsm import softhsm_token, token_empty

URL = "/api/v1/clients"


@pytest.fixture
def token(settings, tmp_path):  # type: ignore[no-untyped-def]
    """An empty SoftHSM2 token as the key provider, with no local ring configured."""
    soft = softhsm_token()
    hsm.token_reset()
    token_empty(soft)
    settings.FIELD_KEY_PROVIDER = "pkcs11"
    settings.PKCS11_MODULE, settings.PKCS11_TOKEN_LABEL = soft.module, soft.label
    settings.PKCS11_SLOT, settings.PKCS11_PIN = None, soft.pin
    settings.FIELD_KEYS, settings.FIELD_KEYS_FILE, settings.FIELD_PRIMARY_KEY_ID = None, None, None
    settings.AUDIT_CHECKPOINT_DIR = str(tmp_path / "checkpoints")
    yield soft
    hsm.token_reset()


def _new_kek() -> str:
    out = io.StringIO()
    call_command("pkcs11_keys", "new-kek", stdout=out)
    return out.getvalue().split()[2]


def _read(api, who, client):  # type: ignore[no-untyped-def]
    return api(who).get(f"{URL}/{client.pk}")


def _kek_value_readable(kek_id: str) -> bool:
    from pkcs11 import Attribute
    from pkcs11.exceptions import AttributeSensitive

    def value(session):  # type: ignore[no-untyped-def]
        key = session.get_key(label=kek_id)
        try:
            key[Attribute.VALUE]
        except AttributeSensitive:
            return False
        return True

    return hsm.token_call(value)


def test_data_keys_are_wrapped_inside_the_token_and_the_kek_never_leaves_it(
    token, api, alice, eastside, make_client
):
    kek = _new_kek()
    client = make_client(eastside, given_name="Hsmira")
    stored = DataKey.objects.get(client=client)
    assert stored.kek_id == kek and bytes(stored.wrapped)[2 : 2 + len(kek)] == kek.encode()
    response = _read(api, alice, client)
    assert response.status_code == 200 and response.json()["identity"]["given_name"] == "Hsmira"
    assert not _kek_value_readable(kek)  # CKA_SENSITIVE: the token refuses to export it
    (row,) = Pkcs11KeyProvider().describe()
    assert row["id"] == kek and row["never_extractable"] and not row["extractable"]


def test_rotation_makes_a_new_kek_in_the_token_and_rewraps_everything_online(
    token, api, alice, adam, eastside, make_client
):
    from accounts.factors import totp_secret_of
    from accounts.models import User
    from tests.conftest import actor, enrol_totp
    from webhooks import signing
    from webhooks.models import Subscription
    from webhooks.services import subscription_create

    old = _new_kek()
    clients = [make_client(eastside, given_name=f"Rota{n}") for n in range(3)]
    sub, secret = subscription_create(
        actor=actor(adam), url="http://127.0.0.1:9/hooks", event_types=["*"]
    )
    seed = enrol_totp(alice).secret
    out = io.StringIO()
    call_command("rotate_keys", stdout=out, stderr=io.StringIO())
    new = Pkcs11KeyProvider().primary_id()
    assert new != old and f"new primary KEK {new} generated in the token" in out.getvalue()
    assert set(DataKey.objects.values_list("kek_id", flat=True)) == {new}
    assert set(IndexKey.objects.values_list("kek_id", flat=True)) == {new}
    assert pending_count() == 0
    sub = Subscription.objects.get(pk=sub.pk)
    ids = {"subscription_id": sub.id, "agency_id": sub.agency_id}
    assert sub.secret_key_id == new
    assert signing.secret_decrypt(sub.secret_key_id, sub.secret_ciphertext, **ids) == secret
    alice_now = User.objects.get(pk=alice.pk)
    assert alice_now.totp_key_id == new and totp_secret_of(alice_now) == seed
    status = io.StringIO()
    call_command("rotate_keys", "--status", stdout=status)
    assert f"{old:<20} decrypt-only   unused (safe to retire)" in status.getvalue()
    call_command("rotate_keys", "--retire", old, stdout=io.StringIO())
    assert Pkcs11KeyProvider().key_ids() == {new}  # destroyed inside the token
    assert AuditEvent.objects.filter(action="key.retire").count() == 1
    names = [_read(api, alice, c).json()["identity"]["given_name"] for c in clients]
    assert names == ["Rota0", "Rota1", "Rota2"]


def test_the_primary_and_a_kek_in_use_cannot_be_retired(token, eastside, make_client):
    old = _new_kek()
    make_client(eastside)
    new = _new_kek()  # primary now; the client's key is still under `old`
    with pytest.raises(CommandError, match="primary"):
        call_command("rotate_keys", "--retire", new, stdout=io.StringIO())
    with pytest.raises(CommandError, match="still in use"):
        call_command("rotate_keys", "--retire", old, stdout=io.StringIO())
    assert Pkcs11KeyProvider().key_ids() == {old, new}


def test_a_wrong_pin_fails_closed_and_is_not_retried(token, settings, anon, eastside, make_client):
    from crypto.errors import KeyUnavailable

    _new_kek()
    client = make_client(eastside)
    hsm.token_reset()
    settings.PKCS11_PIN = "not-the-pin"
    for _ in range(2):
        with pytest.raises(KeyUnavailable) as info:
            make_client(eastside)
        assert "PinIncorrect" in str(info.value.__cause__)
        assert "not-the-pin" not in str(info.value.__cause__)
    ready = anon.get("/readyz")
    assert ready.status_code == 503 and "login refused" in ready.json()["problems"]["keys"]
    settings.PKCS11_PIN = token.pin  # fixed and restarted: works again
    hsm.token_reset()
    assert DataKey.objects.get(client=client).kek_id == Pkcs11KeyProvider().primary_id()
    assert anon.get("/readyz").status_code == 200


def test_a_kek_missing_from_the_token_is_a_500_problem_and_an_audit_event(
    token, api, alice, eastside, make_client
):
    kek = _new_kek()
    client = make_client(eastside, given_name="Vanisha")
    _new_kek()  # a primary remains, so only the old data is unreadable
    hsm.token_call(lambda session: session.get_key(label=kek).destroy())
    response = _read(api, alice, client)
    assert response.status_code == 500 and response.json()["code"] == "key_unavailable"
    assert b"Vanisha" not in response.content
    event = AuditEvent.objects.get(action="crypto.decrypt_failed")
    assert event.outcome == "error" and event.subject_ref
    status = io.StringIO()
    call_command("rotate_keys", "--status", stdout=status)
    assert f"{kek:<20} MISSING" in status.getvalue()


def test_no_kek_in_the_token_refuses_to_write(token, anon, eastside, make_client):
    from crypto.errors import KeyUnavailable

    with pytest.raises(KeyUnavailable):
        make_client(eastside)
    ready = anon.get("/readyz")
    assert ready.status_code == 503 and "holds no KEK" in ready.json()["problems"]["keys"]


def test_a_wrapped_key_moved_to_another_client_fails_inside_the_token(
    token, api, alice, eastside, make_client
):
    _new_kek()
    a, b = make_client(eastside), make_client(eastside)
    DataKey.objects.filter(client=b).update(wrapped=DataKey.objects.get(client=a).wrapped)
    response = _read(api, alice, b)
    assert response.status_code == 500 and response.json()["code"] == "decryption_failed"
    assert _read(api, alice, a).status_code == 200


def test_moving_from_the_local_ring_to_the_token_online(
    key_file, token, settings, api, alice, eastside, make_client
):
    settings.FIELD_KEY_PROVIDER, settings.FIELD_KEYS_FILE = "local", str(key_file)
    client = make_client(eastside, given_name="Migra")
    local = DataKey.objects.get(client=client).kek_id
    settings.FIELD_KEY_PROVIDER = "pkcs11"  # the ring stays configured: decrypt-only
    assert _read(api, alice, client).json()["identity"]["given_name"] == "Migra"
    kek = _new_kek()
    call_command("rotate_keys", "--resume", stdout=io.StringIO(), stderr=io.StringIO())
    assert DataKey.objects.get(client=client).kek_id == kek != local
    settings.FIELD_KEYS_FILE = None  # the ring is gone; the token alone reads the data
    assert _read(api, alice, client).json()["identity"]["given_name"] == "Migra"


def test_checkpoints_are_signed_inside_the_token(token, settings, api, alice):
    from audit.checkpoints import checkpoint_all, checkpoint_signature_valid
    from audit.services import audit_record
    from audit.verify import verify_chains
    from tests.conftest import actor

    settings.AUDIT_SIGNING_KEY_LABEL, settings.AUDIT_SIGNING_KEY = "rh-checkpoints", ""
    out = io.StringIO()
    call_command("pkcs11_keys", "new-signing-key", stdout=out)
    public_b64 = out.getvalue().split("public_key ")[1].split()[0]
    audit_record(actor=actor(alice), action="test.signed_in_hsm")
    (checkpoint, *_) = checkpoint_all(actor=actor(alice))
    public = Ed25519PublicKey.from_public_bytes(base64.b64decode(public_b64))
    from audit.canonical import checkpoint_message

    message = checkpoint_message(
        chain=checkpoint.chain,
        seq=checkpoint.seq,
        head_hash=checkpoint.head_hash,
        time=checkpoint.created_at.isoformat(timespec="microseconds"),
    )
    public.verify(base64.b64decode(checkpoint.signature), message)  # raises if not the token's
    assert checkpoint_signature_valid(checkpoint) and verify_chains().valid
    served = api(alice).get("/api/v1/audit/public-key").json()
    assert served["public_key"] == public_b64
    name = f"{checkpoint.seq:012d}-{checkpoint.key_id}.json"  # one file per checkpoint
    published = json.loads((settings_dir(settings) / checkpoint.chain / name).read_text())
    assert published["signature"] == checkpoint.signature

    def private_value_readable(session):  # type: ignore[no-untyped-def]
        from pkcs11 import Attribute, ObjectClass
        from pkcs11.exceptions import AttributeSensitive

        key = session.get_key(object_class=ObjectClass.PRIVATE_KEY, label="rh-checkpoints")
        try:
            key[Attribute.VALUE]
        except AttributeSensitive:
            return False
        return True

    assert not hsm.token_call(private_value_readable)
    with pytest.raises(CommandError, match="already holds"):
        call_command("pkcs11_keys", "new-signing-key", stdout=io.StringIO())


def settings_dir(settings):  # type: ignore[no-untyped-def]
    from pathlib import Path

    return Path(settings.AUDIT_CHECKPOINT_DIR)


def test_status_lists_the_mechanisms_and_the_keys(token, settings):
    kek = _new_kek()
    settings.AUDIT_SIGNING_KEY_LABEL = "rh-checkpoints"
    call_command("pkcs11_keys", "new-signing-key", stdout=io.StringIO())
    out = io.StringIO()
    call_command("pkcs11_keys", "status", stdout=out)
    text = out.getvalue()
    for mechanism in ("AES_GCM", "AES_KEY_GEN", "EDDSA", "EC_EDWARDS_KEY_PAIR_GEN"):
        assert f"ok      {mechanism}" in text
    assert f"KEK {kek:<20}" in text and "sensitive, never extractable" in text
    assert "signing key 'rh-checkpoints' key_id " in text
