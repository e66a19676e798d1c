"""Platform secrets go through the key provider; secrets sealed in the first format still open."""

from __future__ import annotations

import io
import os

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.core.management import call_command

from core.errors import IntegrityFailure
from crypto import envelope
from crypto.keyring import load_keyring
from crypto.platform_secrets import open_secret, seal_secret

PURPOSE, AD = "test|secret", b"row-1"


def _seal_format_1(value: str) -> tuple[str, bytes]:
    """The first release's format, written independently: HKDF(KEK) key, nonce || ciphertext."""
    ring = load_keyring()
    info = b"referral-hub|" + PURPOSE.encode() + b"|v1"
    key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=info).derive(ring.primary)
    nonce = os.urandom(12)
    return ring.primary_id, nonce + AESGCM(key).encrypt(nonce, value.encode(), AD)


def test_a_secret_is_an_envelope_of_the_provider_bound_to_its_row():
    key_id, blob = seal_secret("s3cret", purpose=PURPOSE, ad=AD)
    assert envelope.parse(blob).key_id == key_id == load_keyring().primary_id
    assert b"s3cret" not in blob
    assert open_secret(key_id, blob, purpose=PURPOSE, ad=AD) == "s3cret"
    with pytest.raises(IntegrityFailure):
        open_secret(key_id, blob, purpose=PURPOSE, ad=b"row-2")
    with pytest.raises(IntegrityFailure):
        open_secret(key_id, blob, purpose="other|purpose", ad=AD)


def test_a_secret_in_the_first_format_still_opens():
    key_id, blob = _seal_format_1("old-secret")
    assert open_secret(key_id, blob, purpose=PURPOSE, ad=AD) == "old-secret"
    with pytest.raises(IntegrityFailure):
        open_secret(key_id, blob, purpose=PURPOSE, ad=b"row-2")


@pytest.mark.django_db
def test_rotation_reseals_a_first_format_totp_seed(alice, key_file):
    from accounts.factors import totp_secret_of
    from accounts.models import User

    info = b"referral-hub|accounts|totp-seed|v1"
    ring = load_keyring()
    key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=info).derive(ring.primary)
    nonce = os.urandom(12)
    sealed = nonce + AESGCM(key).encrypt(nonce, b"JBSWY3DPEHPK3PXP", f"totp|{alice.pk}".encode())
    User.objects.filter(pk=alice.pk).update(
        totp_key_id=ring.primary_id, totp_sealed=sealed, totp_confirmed=True
    )
    call_command("rotate_keys", stdout=io.StringIO(), stderr=io.StringIO())
    alice = User.objects.get(pk=alice.pk)
    assert envelope.parse(bytes(alice.totp_sealed)).key_id == alice.totp_key_id
    assert totp_secret_of(alice) == "JBSWY3DPEHPK3PXP"
