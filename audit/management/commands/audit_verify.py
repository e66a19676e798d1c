"""`manage.py audit_verify [--chain C ...] [--deep] [--json] [--quiet]`: exit 1 if any chain
is broken. Prints progress to stderr every 10,000 events (long chains take a while)."""

from __future__ import annotations

import json
import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from audit.verify import verify_chains


class Command(BaseCommand):
    help = "Verify the audit chains: links, per-event MACs, bound columns, every checkpoint."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--chain", action="append", help="only this chain (repeatable)")
        parser.add_argument(
            "--deep", action="store_true", help="also compare every column with the record"
        )
        parser.add_argument("--json", action="store_true", help="print the full JSON report")
        parser.add_argument("--quiet", action="store_true", help="no progress output")

    def handle(self, *args: Any, **options: Any) -> None:
        started = time.monotonic()

        def progress(chain: str, done: int) -> None:
            rate = done / max(time.monotonic() - started, 1e-6)
            self.stderr.write(f"  {chain}: {done:,} events checked ({rate:,.0f}/s)")

        report = verify_chains(
            options["chain"],
            deep=options["deep"],
            progress=None if options["quiet"] else progress,
        )
        if options["json"]:
            self.stdout.write(json.dumps(report.as_dict(), indent=2, default=str))
        for chain in report.chains:
            state = (
                "ok" if chain.valid else f"BROKEN at seq {chain.first_broken_seq}: {chain.reason}"
            )
            tail = f", {chain.unsigned_events} after the last checkpoint"
            if chain.seconds_since_checkpoint is not None:
                tail += f" (signed {chain.seconds_since_checkpoint:.0f} s ago)"
            elif chain.unsigned_events:
                tail += " (never signed)"
            self.stdout.write(f"{chain.chain}: {chain.events_checked} events, {state}{tail}")
        if not report.valid:
            raise CommandError(f"audit chain broken: {report.first_broken}")
        self.stdout.write(
            f"valid: {report.events_checked} events in {len(report.chains)} chains; "
            f"{report.unsigned_events} not yet covered by a signed checkpoint"
        )
