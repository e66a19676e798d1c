"""`manage.py rotate_keys`: new primary KEK, then rewrap every data key online (resumable).

rotate_keys             add a new primary KEK to FIELD_KEYS_FILE, then rewrap
rotate_keys --resume    only rewrap what is not under the primary yet (after an interruption,
                        or after an operator changed FIELD_KEYS / FIELD_PRIMARY_KEY_ID)
rotate_keys --status    which KEKs are still used, and by what
rotate_keys --retire ID remove an unused, non-primary KEK from FIELD_KEYS_FILE

With FIELD_KEY_PROVIDER=pkcs11 the new KEK is generated inside the token and --retire destroys
one there (the same checks: never the primary, never one still in use).

A thin shell over the audited services in `crypto/rotation.py`; the secrets other apps keep
sealed under the KEK (webhook signing secrets, TOTP seeds) come from `crypto/registry.py`.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from core.actor import system_actor
from crypto import rotation
from crypto.keyring import KeyRing, KeyRingError
from crypto.scope import key_scope


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
            ring = rotation.key_view()
        except KeyRingError as exc:
            raise CommandError(f"Key ring unusable: {exc}") from exc
        except rotation.KeyFileRefused as exc:
            raise CommandError(str(exc)) from None
        try:
            with key_scope():
                if opts["status"]:
                    self._status(ring)
                elif opts["retire"]:
                    self._retire(opts["retire"])
                else:
                    self._rotate(new_primary=not opts["resume"], batch_size=opts["batch_size"])
        except rotation.KeyFileRefused as exc:
            raise CommandError(str(exc)) from None

    def _rotate(self, *, new_primary: bool, batch_size: int) -> None:
        if new_primary:
            kek_id, where = rotation.kek_add_primary()
            self.stdout.write(f"new primary KEK {kek_id} {where}")
        done = rotation.keys_rotate(
            actor=system_actor("rotate_keys"), batch_size=batch_size, progress=self._progress
        )
        self.stderr.write("")
        if done.left:
            raise CommandError(
                f"{done.left} keys are still under older KEKs (busy rows): run --resume."
            )
        self.stdout.write(
            f"rewrapped {done.rewrapped} keys and {done.secrets} webhook/TOTP secrets under "
            f"{done.primary_id}; nothing left to rewrap"
        )

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

    def _retire(self, kek_id: str) -> None:
        rotation.kek_retire(actor=system_actor("rotate_keys"), kek_id=kek_id)
        self.stdout.write(f"retired KEK {kek_id}")
