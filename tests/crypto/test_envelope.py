"""The envelope parser and AEAD on arbitrary input: clean errors, never a crash or a wrong value."""

from __future__ import annotations

import os

import pytest
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core.errors import IntegrityFailure
from crypto import envelope, service
from crypto.errors import DecryptionFailed, MalformedCiphertext

KEY = AESGCM(os.urandom(32))
CTX = envelope.context_bytes("t", "c", "1", "agency")


@given(st.binary(max_size=200))
def test_parse_never_crashes_on_arbitrary_bytes(blob):
    try:
        parsed = envelope.parse(blob)
    except MalformedCiphertext:
        return
    assert parsed.version == envelope.VERSION
    assert parsed.header + parsed.ciphertext == blob


@given(st.binary(max_size=200))
def test_open_of_arbitrary_bytes_is_a_decryption_failure(blob):
    with pytest.raises(DecryptionFailed):
        envelope.open_(KEY, envelope.parse(blob), CTX)


@given(st.text(max_size=300), st.data())
def test_any_single_bit_flip_is_detected(text, data):
    blob = envelope.seal(KEY, "k1", text.encode(), CTX)
    assert envelope.open_(KEY, envelope.parse(blob), CTX).decode() == text
    position = data.draw(st.integers(0, len(blob) * 8 - 1))
    flipped = bytearray(blob)
    flipped[position // 8] ^= 1 << (position % 8)
    with pytest.raises(DecryptionFailed):
        envelope.open_(KEY, envelope.parse(bytes(flipped)), CTX)


def test_the_context_encoding_is_unambiguous():
    assert envelope.context_bytes("a|b", "c") != envelope.context_bytes("a", "b|c")
    assert envelope.context_bytes("ab", "") != envelope.context_bytes("a", "b")


_fixtures = settings(
    suppress_health_check=[HealthCheck.function_scoped_fixture], max_examples=60, deadline=None
)


@_fixtures
@given(st.text(max_size=500))
def test_seal_unseal_round_trips_any_text(eastside, make_client, text):
    client = _client(eastside, make_client)
    blob = service.seal(client=client, table="t", column="c", row_id=1, value=text)
    assert service.unseal(client=client, table="t", column="c", row_id=1, blob=blob) == text


@_fixtures
@given(st.binary(max_size=120))
def test_unseal_of_arbitrary_bytes_fails_closed(eastside, make_client, blob):
    client = _client(eastside, make_client)
    with pytest.raises(IntegrityFailure):
        service.unseal(client=client, table="t", column="c", row_id=1, blob=blob)


_made: dict = {}


def _client(agency, make_client):
    key = agency.pk
    if key not in _made:
        _made.clear()
        _made[key] = make_client(agency)
    return _made[key]
