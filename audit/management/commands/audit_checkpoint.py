"""`manage.py audit_checkpoint`: sign every chain head that moved and publish it as a file."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand

from audit.checkpoints import checkpoint_all
from core.actor import system_actor


class Command(BaseCommand):
    help = "Write signed checkpoints of every audit chain head (table + AUDIT_CHECKPOINT_DIR)."

    def handle(self, *args: Any, **options: Any) -> None:
        created = checkpoint_all(actor=system_actor("audit_checkpoint"))
        for cp in created:
            self.stdout.write(f"{cp.chain} seq={cp.seq} hash={cp.head_hash}")
        self.stdout.write(
            f"{len(created)} checkpoint(s) written; published in {settings.AUDIT_CHECKPOINT_DIR}"
        )
