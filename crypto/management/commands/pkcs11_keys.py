"""`manage.py pkcs11_keys status | new-kek | new-signing-key`: keys inside the PKCS#11 token.

status           the token, whether it offers the mechanisms used, each KEK and its flags
new-kek          generate an AES-256 KEK in the token (the first one, before any data exists;
                 later, `rotate_keys` makes a new one and rewraps in one step)
new-signing-key  generate the Ed25519 checkpoint key pair under AUDIT_SIGNING_KEY_LABEL (or
                 --label) and print its public key for the verifiers
"""

from __future__ import annotations

import base64
import hashlib
from datetime import UTC, datetime
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from core import hsm
from core.hsm import HsmUnavailable
from crypto.errors import KeyUnavailable
from crypto.pkcs11_provider import Pkcs11KeyProvider

NEEDED = {
    "AES_GCM": "KEKs wrap data keys (encrypt/decrypt)",
    "AES_KEY_GEN": "new KEKs",
    "EDDSA": "checkpoint signatures (only with AUDIT_SIGNING_KEY_LABEL)",
    "EC_EDWARDS_KEY_PAIR_GEN": "the checkpoint key pair (only with AUDIT_SIGNING_KEY_LABEL)",
}


class Command(BaseCommand):
    help = "Inspect the PKCS#11 token and generate KEKs or the checkpoint signing key in it."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("action", choices=["status", "new-kek", "new-signing-key"])
        parser.add_argument("--label", help="label of the signing key pair (new-signing-key)")

    def handle(self, *args: Any, **opts: Any) -> None:
        try:
            if opts["action"] == "status":
                self._status()
            elif opts["action"] == "new-kek":
                kek_id = Pkcs11KeyProvider().new_kek()
                self.stdout.write(f"new KEK {kek_id} generated in the token (now the primary)")
            else:
                self._new_signing_key(opts["label"] or settings.AUDIT_SIGNING_KEY_LABEL)
        except HsmUnavailable as exc:
            raise CommandError(str(exc)) from exc
        except KeyUnavailable as exc:
            raise CommandError(str(exc.__cause__ or exc)) from exc

    def _status(self) -> None:
        token = hsm.token_call(lambda session: session.token)
        mechanisms = hsm.token_call(lambda session: session.token.slot.get_mechanisms())
        names = {getattr(m, "name", str(m)) for m in mechanisms}
        self.stdout.write(f"token {token.label!r} ({token.manufacturer_id}, {token.model})")
        for name, why in NEEDED.items():
            self.stdout.write(f"  {'ok     ' if name in names else 'MISSING'} {name}: {why}")
        for row in Pkcs11KeyProvider().describe():
            created = datetime.fromtimestamp(row["created_ns"] / 1e9, tz=UTC)
            sealed = row["sensitive"] and not row["extractable"] and row["never_extractable"]
            flags = "sensitive, never extractable" if sealed else "WARNING: extractable"
            self.stdout.write(f"KEK {row['id']:<20} created {created:%Y-%m-%d %H:%M}Z  {flags}")
        label = settings.AUDIT_SIGNING_KEY_LABEL
        if label:
            raw = hsm.ed25519_public_raw(label)
            self.stdout.write(f"signing key {label!r} key_id {_key_id(raw)}")

    def _new_signing_key(self, label: str | None) -> None:
        if not label:
            raise CommandError("Give --label or set AUDIT_SIGNING_KEY_LABEL.")
        try:
            hsm.ed25519_public_raw(label)
        except HsmUnavailable:
            pass
        else:
            raise CommandError(f"The token already holds a key pair labelled {label!r}.")
        raw = hsm.ed25519_generate(label)
        self.stdout.write(f"Ed25519 key pair {label!r} generated in the token")
        self.stdout.write(f"key_id     {_key_id(raw)}")
        self.stdout.write(f"public_key {base64.b64encode(raw).decode()}")


def _key_id(raw: bytes) -> str:
    return hashlib.sha256(raw).hexdigest()[:16]
