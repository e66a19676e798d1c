"""Per-event MAC: binds each row (its canonical bytes AND every served column) to a key that is
not in the database.

    mac = HMAC-SHA256(K, hash_bytes || SHA-256(columns))

`hash` already commits to the canonical bytes and the previous hash (its place in the chain).
`columns` is every stored column of the row except `id` (the global cursor order, assigned by
the database after the MAC is made), `canonical` (covered by `hash`) and `mac` itself, each
turned into text the same way in Python (`column_text`) and in SQL (`column_sql`), joined by
U+001F. The list comes from the model (`bound_fields`), so a column added to `AuditEvent` is
bound without touching this file; a column type without a rule here fails loudly at import.

K is `AUDIT_MAC_KEY` (base64, 32 bytes), or when unset derived with HKDF-SHA256 from
`AUDIT_PSEUDONYM_KEY` (info `referral-hub-audit-mac/1`): either way it lives with the
application's keys, never in the database. Keys retired by a rotation stay verifiable through
`AUDIT_MAC_RETIRED_KEYS` (comma-separated base64).

Someone holding only database credentials can change a row, add one, delete one and relink the
rest, or reorder rows, but cannot compute the MAC: verification finds the row. The application
itself holds K: a compromised application server can write false events with valid MACs
(docs/security.md, "What verification proves").
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

SEP = "\x1f"
UNBOUND = ("id", "canonical", "mac")
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def _decode(value: str, name: str) -> bytes:
    try:
        raw = base64.b64decode(value.strip(), validate=True)
    except (binascii.Error, ValueError) as exc:
        raise ImproperlyConfigured(f"{name} must be base64.") from exc
    if len(raw) < 32:
        raise ImproperlyConfigured(f"{name} must decode to at least 32 bytes.")
    return raw


@lru_cache(maxsize=4)
def _keys(current: str, retired: str, pseudonym: str) -> tuple[bytes, ...]:
    if current:
        primary = _decode(current, "AUDIT_MAC_KEY")
    else:
        primary = HKDF(
            algorithm=hashes.SHA256(), length=32, salt=None, info=b"referral-hub-audit-mac/1"
        ).derive(pseudonym.encode())
    old = [_decode(v, "AUDIT_MAC_RETIRED_KEYS") for v in retired.split(",") if v.strip()]
    return (primary, *old)


def keys() -> tuple[bytes, ...]:
    """(current key, retired keys...)."""
    return _keys(
        getattr(settings, "AUDIT_MAC_KEY", "") or "",
        getattr(settings, "AUDIT_MAC_RETIRED_KEYS", "") or "",
        settings.AUDIT_PSEUDONYM_KEY,
    )


def bound_fields() -> list[tuple[str, str]]:
    """(column, kind) of every column the MAC binds, in model order."""
    from audit.models import AuditEvent

    out = []
    for field in AuditEvent._meta.concrete_fields:
        if field.column in UNBOUND:
            continue
        kind = field.get_internal_type()
        if kind not in _KINDS:
            raise ImproperlyConfigured(
                f"audit.mac has no text rule for {kind} (AuditEvent.{field.name}): add one."
            )
        out.append((str(field.column), kind))
    return out


def _micros(value: Any) -> str:
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return str((value - _EPOCH) // _MICRO)


_MICRO = datetime(1970, 1, 1, 0, 0, 0, 1, tzinfo=UTC) - _EPOCH


def _json(value: Any) -> str:
    # PostgreSQL's jsonb text form of a list of strings: `["a", "b"]`.
    if isinstance(value, str):
        value = json.loads(value)
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return _json_strings(tuple(value))  # an event's categories: a handful of lists
    return _jsonb_text(value)


def _jsonb_text(value: Any) -> str:
    return json.dumps(value, separators=(", ", ": "), ensure_ascii=False)


@lru_cache(maxsize=256)
def _json_strings(items: tuple[str, ...]) -> str:
    return _jsonb_text(list(items))


_KINDS = {
    "CharField": lambda v: "" if v is None else str(v),
    "TextField": lambda v: "" if v is None else str(v),
    "UUIDField": lambda v: "" if v is None else str(v),
    "BigIntegerField": lambda v: "" if v is None else str(int(v)),
    "IntegerField": lambda v: "" if v is None else str(int(v)),
    "DateTimeField": lambda v: "" if v is None else _micros(v),
    "JSONField": _json,
}

_SQL = {
    "CharField": "coalesce({c}, '')",
    "TextField": "coalesce({c}, '')",
    "UUIDField": "coalesce({c}::text, '')",
    "BigIntegerField": "coalesce({c}::text, '')",
    "IntegerField": "coalesce({c}::text, '')",
    "DateTimeField": "((extract(epoch FROM {c}) OPERATOR(pg_catalog.*) 1000000)::bigint)::text",
    "JSONField": "coalesce({c}::text, '')",
}


def clean(value: Any) -> Any:
    """Strings may not contain the separator (so the joined text is unambiguous)."""
    return value.replace(SEP, " ") if isinstance(value, str) else value


def text_of(kind: str, value: Any) -> str:
    return str(_KINDS[kind](value))


def column_text(values: Mapping[str, Any], fields: Iterable[tuple[str, str]]) -> bytes:
    get, kinds = values.get, _KINDS
    return SEP.join([kinds[kind](get(col)) for col, kind in fields]).encode()


def column_digest(values: Mapping[str, Any], fields: Iterable[tuple[str, str]]) -> bytes:
    return hashlib.sha256(column_text(values, fields)).digest()


def column_sql(fields: Iterable[tuple[str, str]], table: str = "") -> str:
    """SQL (PostgreSQL) for `SHA-256(columns)` of a row, as hex text. Every function and
    operator is named by its schema: an overload with the exact argument types elsewhere on the
    search path would be chosen over the built-in otherwise (audit/shadowing.py)."""
    prefix = f"{table}." if table else ""
    parts = ", ".join(_SQL[kind].format(c=prefix + col) for col, kind in fields)
    return (
        "pg_catalog.encode(pg_catalog.sha256(pg_catalog.convert_to("
        f"pg_catalog.concat_ws(E'\\x1f', {parts}), 'UTF8')), 'hex')"
    )


def event_mac(hash_hex: str, digest: bytes, key: bytes | None = None) -> str:
    """HMAC-SHA256 under `key` (default: the current key)."""
    return hmac.digest(key or keys()[0], bytes.fromhex(hash_hex) + digest, "sha256").hex()


def hmac_pads(key: bytes) -> tuple[Any, Any]:
    """HMAC-SHA256's inner and outer states after the key block, for the verify hot loop:
    `pads` + two `copy()`s per event is several times faster than `hmac.digest()` per call
    (which sets the key up again each time). Same result as `hmac.new(key, m, sha256)`."""
    block = key if len(key) <= 64 else hashlib.sha256(key).digest()
    block = block.ljust(64, b"\0")
    inner = hashlib.sha256(bytes(b ^ 0x36 for b in block))
    outer = hashlib.sha256(bytes(b ^ 0x5C for b in block))
    return inner, outer


def mac_ok(hash_raw: bytes, digest: bytes, stored: str) -> bool:
    """Constant-time check under the current key, then the retired ones."""
    if not isinstance(stored, str) or not stored.isascii():
        return False  # compare_digest refuses non-ASCII text; no MAC of ours is
    for key in keys():
        if hmac.compare_digest(hmac.digest(key, hash_raw + digest, "sha256").hex(), stored):
            return True
    return False


def event_intact(event: Any) -> bool:
    """Whether a loaded event's MAC holds over its stored hash and every bound column as loaded
    (an `AuditEvent`, `canonical` may be deferred): what the application wrote, as shown. False
    for a row edited or forged since; verification (audit/verify.py) names the first break of
    the chain and why. Computed in Python from the values the caller is about to show."""
    from audit.models import AuditEvent

    fields = bound_fields()
    bound = {column for column, _ in fields}
    values = {
        f.column: getattr(event, f.attname)
        for f in AuditEvent._meta.concrete_fields
        if f.column in bound
    }
    try:
        hash_raw = bytes.fromhex(event.hash)
    except (TypeError, ValueError):
        return False
    return mac_ok(hash_raw, column_digest(values, fields), event.mac)
