"""`manage.py audit_checkpoint`: verify, then sign every chain head that moved; publish each.

Exits non-zero (after signing the chains that verify) when a chain does not verify from its
previous signed checkpoint: that chain is not signed and `audit.inconsistent` is recorded.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from audit.checkpoints import ChainInconsistent, checkpoint_all
from core.actor import system_actor


class Command(BaseCommand):
    help = (
        "Verify and sign every audit chain head (table + AUDIT_CHECKPOINT_DIR, never overwritten)."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            created = checkpoint_all(actor=system_actor("audit_checkpoint"))
        except ChainInconsistent as exc:
            refused = ", ".join(exc.extra.get("refused_chains", []))
            raise CommandError(
                f"REFUSED to sign: {exc.detail} Chains refused: {refused}. "
                f"Signed {exc.extra.get('signed', 0)} other chain(s)."
            ) from exc
        for cp in created:
            self.stdout.write(f"{cp.chain} seq={cp.seq} hash={cp.head_hash}")
        self.stdout.write(
            f"{len(created)} checkpoint(s) written; published in {settings.AUDIT_CHECKPOINT_DIR}"
        )
