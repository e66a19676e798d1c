"""KEK rotation: rewrap data keys, index keys and registered secrets under the primary KEK.

The services behind `manage.py rotate_keys` (`kek_add_primary`, `keys_rotate`, `kek_retire`);
data is untouched. With a provider that keeps its own KEKs (`FIELD_KEY_PROVIDER=pkcs11`) the
new KEK is generated in the token and a retired one is destroyed there.

Online and resumable: each batch is its own short transaction that locks only its rows
(`SKIP LOCKED` on PostgreSQL), so the API keeps serving, and a rerun picks up whatever is
not yet under the primary. Plaintext keys exist only inside the batch.
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, cast

from django.conf import settings
from django.db import models, transaction
from django.utils import timezone

from audit.services import audit_record
from core.actor import Actor
from crypto.blind import root_context
from crypto.datakeys import wrap_context
from crypto.errors import KeyUnavailable
from crypto.keyring import KeyRing, load_keyring, new_key_id, write_key_file
from crypto.models import DataKey, IndexKey
from crypto.providers import LocalKeyProvider, ManagedKeyProvider, get_provider
from crypto.registry import sealed_secrets, sealed_secrets_rewrap


@dataclass(frozen=True)
class Wrapped:
    """One table of KEK-wrapped keys that rotation rewraps."""

    model: Any  # DataKey or IndexKey
    context: Callable[[Any], bytes]
    live: dict[str, Any]

    def pending(self, primary: str) -> models.QuerySet[Any]:
        qs: models.QuerySet[Any] = self.model.objects.filter(**self.live).exclude(kek_id=primary)
        return qs


WRAPPED = (
    Wrapped(DataKey, lambda row: wrap_context(row.client_id), {"destroyed_at__isnull": True}),
    Wrapped(IndexKey, lambda row: root_context(row.agency_id), {}),
)


def pending_count() -> int:
    primary = get_provider().primary_id()
    return sum(w.pending(primary).count() for w in WRAPPED)


def rewrap_batch(batch_size: int = 200) -> int:
    """Rewrap up to `batch_size` keys not under the primary KEK; return how many were done."""
    provider = get_provider()
    primary = provider.primary_id()
    done = 0
    for wrapped in WRAPPED:
        with transaction.atomic():
            rows = list(
                wrapped.pending(primary)
                .select_for_update(skip_locked=True)
                .order_by("id")[: batch_size - done]
            )
            now = timezone.now()
            for row in rows:
                ctx = wrapped.context(row)
                key = provider.unwrap(bytes(row.wrapped), context=ctx)
                row.kek_id, row.wrapped = provider.wrap(key, context=ctx)
                row.updated_at = now
            wrapped.model.objects.bulk_update(rows, ["kek_id", "wrapped", "updated_at"])
        done += len(rows)
        if done >= batch_size:
            break
    return done


def kek_usage() -> dict[str, Counter[str]]:
    """{kek id: {"data keys": n, "index keys": n, <registered label>: n}} for everything live."""
    usage: dict[str, Counter[str]] = {}
    for label, qs, field in _users():
        for kek_id, n in (
            qs.values_list(field).annotate(n=models.Count("pk")).values_list(field, "n")
        ):
            if kek_id:
                usage.setdefault(kek_id, Counter())[label] += n
    return usage


def _users() -> list[tuple[str, models.QuerySet[Any], str]]:
    own: list[tuple[str, models.QuerySet[Any], str]] = [
        ("data keys", DataKey.objects.filter(destroyed_at__isnull=True), "kek_id"),
        ("index keys", IndexKey.objects.all(), "kek_id"),
    ]
    # Secrets other apps keep sealed under the KEK (they register in crypto.registry).
    return own + [(e.label, e.rows(), e.key_field) for e in sealed_secrets()]


class KeyFileRefused(Exception):
    """The key ring cannot be changed this way; the message says what to do instead."""


ENV_INSTRUCTIONS = """\
The key ring comes from FIELD_KEYS (environment), which this command cannot change. To rotate:
  1. Make a key:  python -c "import base64,os; print(base64.b64encode(os.urandom(32)).decode())"
  2. Append "<new-id>:<key>" to FIELD_KEYS on every process (keep the old keys) and restart.
  3. Set FIELD_PRIMARY_KEY_ID=<new-id> everywhere and restart.
  4. Run `manage.py rotate_keys --resume` to rewrap every data key under the new primary.
  5. When `manage.py rotate_keys --status` shows the old key unused, remove it from FIELD_KEYS."""


def _key_file() -> str:
    if settings.FIELD_KEYS or not settings.FIELD_KEYS_FILE:
        raise KeyFileRefused(ENV_INSTRUCTIONS)
    if settings.FIELD_PRIMARY_KEY_ID:
        raise KeyFileRefused(
            "FIELD_PRIMARY_KEY_ID overrides the file's primary: unset it, then run again."
        )
    return str(settings.FIELD_KEYS_FILE)


def _managed() -> ManagedKeyProvider | None:
    """The provider if it keeps its own KEKs (an HSM), None for the local ring."""
    provider = get_provider()
    if isinstance(provider, LocalKeyProvider):
        return None
    if not (hasattr(provider, "new_kek") and hasattr(provider, "retire_kek")):
        raise KeyFileRefused("This key provider cannot make KEKs; use --resume after it did.")
    return cast(ManagedKeyProvider, provider)


def key_view() -> KeyRing:
    """The KEK ids and the primary (values only for the local ring; empty for a token's)."""
    managed = _managed()
    if managed is None:
        return load_keyring()
    try:
        return KeyRing(managed.primary_id(), dict.fromkeys(managed.key_ids(), b""))
    except KeyUnavailable as exc:
        raise KeyFileRefused(f"Key provider unusable: {exc.__cause__ or exc}") from exc


def kek_add_primary() -> tuple[str, str]:
    """A new primary KEK; (its id, where it was made). Old keys stay, decrypt-only.

    Local ring: a random key written to FIELD_KEYS_FILE. HSM: a key generated in the token.
    Not audited by itself: `keys_rotate` records the rotation to the new primary.
    """
    managed = _managed()
    if managed is not None:
        return managed.new_kek(), "generated in the token"
    path = _key_file()
    ring = load_keyring()
    kek_id = new_key_id()
    write_key_file(path, KeyRing(primary_id=kek_id, keys={**ring.keys, kek_id: os.urandom(32)}))
    return load_keyring().primary_id, f"written to {path} (old keys kept, decrypt-only)"


@dataclass(frozen=True)
class Rotation:
    """What one `keys_rotate` did: keys rewrapped, other secrets re-sealed, keys still left."""

    primary_id: str
    rewrapped: int
    secrets: int
    left: int


def keys_rotate(
    *, actor: Actor, batch_size: int = 200, progress: Callable[[int, int], None] | None = None
) -> Rotation:
    """Rewrap every data and index key, then every registered secret, under the primary KEK.

    Audited as `key.rotate` (outcome `error` while busy rows are left for a `--resume`).
    """
    primary_id = get_provider().primary_id()
    total, done = pending_count(), 0
    if progress:
        progress(done, total)
    while (n := rewrap_batch(batch_size)) > 0:
        done += n
        if progress:
            progress(done, max(total, done))
    secrets = sealed_secrets_rewrap(actor=actor)
    left = pending_count()
    audit_record(
        actor=actor,
        action="key.rotate",
        target=("crypto.kek", primary_id),
        outcome="allow" if left == 0 else "error",
        reason=f"rewrapped={done} left={left}",
    )
    return Rotation(primary_id, done, secrets, left)


def kek_retire(*, actor: Actor, kek_id: str) -> None:
    """Remove an unused, non-primary KEK (from FIELD_KEYS_FILE, or destroy it in the token).

    Audited as `key.retire`.
    """
    managed = _managed()
    path = _key_file() if managed is None else ""
    ring = key_view()
    if kek_id not in ring.keys:
        raise KeyFileRefused(f"KEK {kek_id} is not in the key ring.")
    if kek_id == ring.primary_id:
        raise KeyFileRefused("The primary KEK cannot be retired; rotate first.")
    if kek_usage().get(kek_id):
        raise KeyFileRefused(f"KEK {kek_id} is still in use (see --status); run --resume first.")
    if managed is not None:
        try:
            managed.retire_kek(kek_id)
        except KeyUnavailable as exc:
            raise KeyFileRefused(
                f"{exc.__cause__ or exc} (a key of the local ring is retired by removing it "
                "from FIELD_KEYS / FIELD_KEYS_FILE)"
            ) from exc
    else:
        write_key_file(
            path, KeyRing(ring.primary_id, {k: v for k, v in ring.keys.items() if k != kek_id})
        )
    audit_record(actor=actor, action="key.retire", target=("crypto.kek", kek_id))
