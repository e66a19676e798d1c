"""Fill the names-only duplicate-search index for clients recorded before it existed."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from clients.services import clients_name_index_fill
from core.actor import system_actor


class Command(BaseCommand):
    help = "Fill clients' names-only search index (run once after upgrading; idempotent)."

    def handle(self, *args: Any, **opts: Any) -> None:
        filled = clients_name_index_fill(actor=system_actor("clients_reindex"))
        self.stdout.write(f"name index filled for {filled} client(s)")
