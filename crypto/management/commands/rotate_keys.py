"""`manage.py rotate_keys`: new primary KEK, then rewrap every data key online (resumable).

rotate_keys             add a new primary KEK to FIELD_KEYS_FILE, then rewrap
rotate_keys --resume    only rewrap what is not under the primary yet (after an interruption,
                        or after an operator changed FIELD_KEYS / FIELD_PRIMARY_KEY_ID)
rotate_keys --status    which KEKs are still used, and by what
rotate_keys --retire ID remove an unused, non-primary KEK from FIELD_KEYS_FILE
"""

from __future__ import annotations

import os
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from accounts.actor import system_actor
from audit.services import audit_record
from crypto import rotation
from crypto.keyring import KeyRing, KeyRingError, load_keyring, new_key_id, write_key_file
from crypto.scope import key_scope

ENV_INSTRUCTIONS = """\
The key ring comes from FIELD_KEYS (environment), which this command cannot change. To rotate:
  1. Make a key:  python -c "import base64,os; print(base64.b64encode(os.urandom(32)).decode())"
  2. Append "<new-id>:<key>" to FIELD_KEYS on every process (keep the old keys) and restart.
  3. Set FIELD_PRIMARY_KEY_ID=<new-id> everywhere and restart.
  4. Run `manage.py rotate_keys --resume` to rewrap every data key under the new primary.
  5. When `manage.py rotate_keys --status` shows the old key unused, remove it from FIELD_KEYS."""


class Command(BaseCommand):
    help = (
        "Rotate the field-encryption KEK: new primary, rewrap every data key (online, resumable)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--status", action="store_true", help="Show which KEKs are in use.")
        parser.add_argument("--resume", action="store_true", help="Rewrap only; no new key.")
        parser.add_argument(
            "--retire", metavar="KEK_ID", help="Remove an unused KEK from the file."
        )
        parser.add_argument("--batch-size", type=int, default=200)

    def handle(self, *args: Any, **opts: Any) -> None:
        try:
            ring = load_keyring()
        except KeyRingError as exc:
            raise CommandError(f"Key ring unusable: {exc}") from exc
        with key_scope():
            if opts["status"]:
                self._status(ring)
            elif opts["retire"]:
                self._retire(ring, opts["retire"])
            else:
                if not opts["resume"]:
                    ring = self._new_primary(ring)
                self._rewrap(ring, opts["batch_size"])

    def _file_path(self) -> str:
        if settings.FIELD_KEYS or not settings.FIELD_KEYS_FILE:
            raise CommandError(ENV_INSTRUCTIONS)
        if settings.FIELD_PRIMARY_KEY_ID:
            raise CommandError(
                "FIELD_PRIMARY_KEY_ID overrides the file's primary: unset it, then run again."
            )
        return str(settings.FIELD_KEYS_FILE)

    def _new_primary(self, ring: KeyRing) -> KeyRing:
        path = self._file_path()
        kek_id = new_key_id()
        new = KeyRing(primary_id=kek_id, keys={**ring.keys, kek_id: os.urandom(32)})
        write_key_file(path, new)
        self.stdout.write(
            f"new primary KEK {kek_id} written to {path} (old keys kept, decrypt-only)"
        )
        return load_keyring()

    def _rewrap(self, ring: KeyRing, batch_size: int) -> None:
        total = rotation.pending_count()
        done = 0
        self._progress(done, total)
        while (n := rotation.rewrap_batch(batch_size)) > 0:
            done += n
            self._progress(done, max(total, done))
        self.stderr.write("")
        secrets = self._rewrap_webhook_secrets()
        left = rotation.pending_count()
        audit_record(
            actor=system_actor("rotate_keys"),
            action="key.rotate",
            target=("crypto.kek", ring.primary_id),
            outcome="allow" if left == 0 else "error",
            reason=f"rewrapped={done} left={left}",
        )
        if left:
            raise CommandError(f"{left} keys are still under older KEKs (busy rows): run --resume.")
        self.stdout.write(
            f"rewrapped {done} keys and {secrets} webhook/TOTP secrets under {ring.primary_id}; "
            "nothing left to rewrap"
        )

    def _rewrap_webhook_secrets(self) -> int:
        """Platform secrets (webhook signing secrets, TOTP seeds) are sealed under the KEK too."""
        from accounts.mfa import totp_secrets_rewrap
        from webhooks.maintenance import subscription_secrets_rewrap

        actor = system_actor("rotate_keys")
        return subscription_secrets_rewrap(actor=actor) + totp_secrets_rewrap(actor=actor)

    def _progress(self, done: int, total: int) -> None:
        width = 30
        filled = width if total == 0 else width * done // total
        bar = "#" * filled + "." * (width - filled)
        self.stderr.write(f"\rrewrapping [{bar}] {done}/{total}", ending="")
        self.stderr.flush()

    def _status(self, ring: KeyRing) -> None:
        usage = rotation.kek_usage()
        self.stdout.write(f"{'KEK':<20} {'role':<14} uses")
        for kek_id in sorted(set(ring.keys) | set(usage)):
            role = "primary" if kek_id == ring.primary_id else "decrypt-only"
            if kek_id not in ring.keys:
                role = "MISSING"
            uses = ", ".join(f"{n} {label}" for label, n in sorted(usage.get(kek_id, {}).items()))
            if not uses:
                uses = "unused" + ("" if kek_id == ring.primary_id else " (safe to retire)")
            self.stdout.write(f"{kek_id:<20} {role:<14} {uses}")

    def _retire(self, ring: KeyRing, kek_id: str) -> None:
        path = self._file_path()
        if kek_id not in ring.keys:
            raise CommandError(f"KEK {kek_id} is not in the key ring.")
        if kek_id == ring.primary_id:
            raise CommandError("The primary KEK cannot be retired; rotate first.")
        if rotation.kek_usage().get(kek_id):
            raise CommandError(f"KEK {kek_id} is still in use (see --status); run --resume first.")
        write_key_file(
            path, KeyRing(ring.primary_id, {k: v for k, v in ring.keys.items() if k != kek_id})
        )
        audit_record(
            actor=system_actor("rotate_keys"), action="key.retire", target=("crypto.kek", kek_id)
        )
        self.stdout.write(f"retired KEK {kek_id}")
