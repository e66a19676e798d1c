"""Per-client data keys: create, unwrap (once per scope), destroy."""

from __future__ import annotations

import os
import uuid
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from crypto import scope
from crypto.envelope import context_bytes
from crypto.errors import ClientErased, DataKeyMissing
from crypto.models import DataKey
from crypto.providers import get_provider

DEK_BYTES = 32


def wrap_context(client_id: uuid.UUID) -> bytes:
    return context_bytes("rh-dek", "v1", str(client_id))


def dek_new(*, client: Any) -> DataKey:
    """A fresh wrapped DEK for `client` (not yet saved), usable at once in the current scope.

    Lets a service seal a new client's fields before inserting the row; save the returned
    DataKey after the client row, in the same transaction.
    """
    key = os.urandom(DEK_BYTES)
    kek_id, wrapped = get_provider().wrap(key, context=wrap_context(client.pk))
    data_key = DataKey(id=uuid.uuid4(), client=client, kek_id=kek_id, wrapped=wrapped)
    scope.current().deks[client.pk] = (data_key.pk.hex, key)
    return data_key


def dek_create(*, client: Any) -> DataKey:
    """Make and store (wrapped) a fresh DEK for a saved client that has none."""
    data_key = dek_new(client=client)
    data_key.save(force_insert=True)
    client.data_key = data_key
    return data_key


def dek_ensure(*, client: Any) -> None:
    """Create the DEK if the client has none yet (clients made before encryption, fixtures)."""
    if hasattr(client, "_state") and client._state.fields_cache.get("data_key", 0) is None:
        del client._state.fields_cache["data_key"]  # a cached "none" from select_related
    if DataKey.objects.filter(client_id=client.pk).exists():
        return
    try:
        with transaction.atomic():
            dek_create(client=client)
    except IntegrityError:
        pass  # a concurrent writer created it first


def dek_for(client: Any) -> tuple[str, bytes]:
    """(key id, plaintext DEK) for this client, unwrapped at most once per scope."""
    if client.erased_at is not None:
        raise ClientErased()
    current = scope.current()
    cached = current.deks.get(client.pk)
    if cached is not None:
        return cached
    data_key = _stored(client)
    if data_key.is_destroyed:
        raise ClientErased()
    key = get_provider().unwrap(bytes(data_key.wrapped), context=wrap_context(client.pk))
    current.unwraps += 1
    current.deks[client.pk] = (data_key.pk.hex, key)
    return current.deks[client.pk]


def _stored(client: Any) -> DataKey:
    try:
        return client.data_key  # type: ignore[no-any-return]
    except DataKey.DoesNotExist:
        raise DataKeyMissing() from None


def dek_destroy(*, client: Any) -> None:
    """Crypto-shred: overwrite the wrapped DEK and mark it destroyed. Irreversible."""
    DataKey.objects.filter(client_id=client.pk).update(
        wrapped=b"", kek_id="", destroyed_at=timezone.now()
    )
    scope.current().forget(client.pk)
    if hasattr(client, "_state") and "data_key" in client._state.fields_cache:
        del client._state.fields_cache["data_key"]
