"""seal/unseal: round trips, binding to (table, column, row, agency), failures fail closed."""

from __future__ import annotations

import uuid

import pytest

from audit.models import AuditEvent
from clients.decrypt import client_fields
from crypto import service
from crypto.errors import ClientErased, DecryptionFailed, MalformedCiphertext
from crypto.scope import key_scope


def _seal(
    client, value="Canary-Sealed-Text", table="referrals_referral", column="reason", row=None
):
    row = row or uuid.uuid4()
    blob = service.seal(client=client, table=table, column=column, row_id=row, value=value)
    return blob, row


def test_it_round_trips_text(eastside, make_client):
    client = make_client(eastside)
    blob, row = _seal(client)
    assert b"Canary" not in blob
    assert (
        service.unseal(
            client=client, table="referrals_referral", column="reason", row_id=row, blob=blob
        )
        == "Canary-Sealed-Text"
    )


def test_none_stays_none(eastside, make_client):
    client = make_client(eastside)
    assert service.seal(client=client, table="t", column="c", row_id=1, value=None) is None
    assert service.unseal(client=client, table="t", column="c", row_id=1, blob=None) is None


@pytest.mark.parametrize("where", ["table", "column", "row"])
def test_a_moved_ciphertext_fails_to_decrypt(eastside, make_client, where):
    client = make_client(eastside)
    blob, row = _seal(client)
    target = {"table": "referrals_referral", "column": "reason", "row_id": row}
    target[{"table": "table", "column": "column", "row": "row_id"}[where]] = (
        uuid.uuid4() if where == "row" else "other"
    )
    with pytest.raises(DecryptionFailed):
        service.unseal(client=client, blob=blob, **target)
    event = AuditEvent.objects.filter(action="crypto.decrypt_failed").get()
    assert event.outcome == "error" and event.reason == "decryption_failed"


def test_seal_creates_a_data_key_for_a_client_without_one(eastside):
    from clients.models import Client

    client = Client.objects.create(agency=eastside)
    blob, row = _seal(client)
    assert service.unseal(
        client=client, table="referrals_referral", column="reason", row_id=row, blob=blob
    )


def test_garbage_is_a_clean_error(eastside, make_client):
    client = make_client(eastside)
    with pytest.raises(MalformedCiphertext):
        service.unseal(client=client, table="t", column="c", row_id=1, blob=b"\x01garbage")


def test_unseal_after_erase_raises_client_erased(eastside, make_client, sam):
    from clients.services import client_erase
    from tests.conftest import actor

    client = make_client(eastside)
    blob, row = _seal(client)
    client_erase(actor=actor(sam), client=client)
    client.refresh_from_db()
    with pytest.raises(ClientErased):
        service.unseal(
            client=client, table="referrals_referral", column="reason", row_id=row, blob=blob
        )
    assert client_fields(client=client, categories=["identity"]) == {}


def test_the_dek_is_unwrapped_once_per_scope(eastside, make_client):
    from clients.models import Client

    made = make_client(eastside, phone="+1 555 0100")
    client = Client.objects.select_related("data_key").get(pk=made.pk)
    with key_scope() as scope:
        client_fields(client=client, categories=["identity", "contact", "demographics"])
        client_fields(client=client, categories=["identity"])
        assert scope.unwraps == 1
    assert not scope.deks


def test_the_column_key_is_rfc5869_hkdf_sha256():
    import os

    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.kdf.hkdf import HKDF

    from crypto.envelope import context_bytes

    dek = os.urandom(32)
    info = context_bytes("rh-fenc", "v1", "clients_client", "identity")
    expected = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=info).derive(dek)
    assert service.derive_field_key(dek, "clients_client", "identity") == expected
    assert service.derive_field_key(dek, "clients_client", "contact") != expected
