"""`manage.py audit_archive --chain C --out DIR [--through-seq N]`: archive a verified prefix.

Run as the database owner role (the application role cannot delete audit rows). See
audit/archive.py and docs/compliance-guide.md "Retention and archives".
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from audit.archive import archive_prefix
from core.actor import system_actor
from core.errors import ApplicationError


class Command(BaseCommand):
    help = "Move a chain's events up to a signed checkpoint into a signed file, then remove them."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--chain", required=True, help="the chain (agency id or platform)")
        parser.add_argument("--out", required=True, type=Path, help="folder for the archive file")
        parser.add_argument(
            "--through-seq", type=int, help="a checkpoint's seq (default: the newest checkpoint)"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        started = time.monotonic()

        def progress(chain: str, done: int) -> None:
            rate = done / max(time.monotonic() - started, 1e-6)
            self.stderr.write(f"  {chain}: {done:,} events verified ({rate:,.0f}/s)")

        try:
            archive = archive_prefix(
                actor=system_actor("audit_archive"),
                chain=options["chain"],
                out_dir=Path(options["out"]),
                through=options["through_seq"],
                progress=progress,
            )
        except (ApplicationError, ValueError) as exc:
            raise CommandError(f"not archived: {getattr(exc, 'detail', exc)}") from exc
        self.stdout.write(
            f"archived {archive.chain} through seq {archive.seq}: {archive.events} events, "
            f"file sha256 {archive.archive_sha256}; verification now starts at seq {archive.seq}"
        )
