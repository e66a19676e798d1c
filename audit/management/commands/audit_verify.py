"""`manage.py audit_verify [--chain C ...] [--deep] [--json]`: exit 1 if any chain is broken."""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from audit.verify import verify_chains


class Command(BaseCommand):
    help = "Recompute the audit hash chains and check them against the signed checkpoints."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--chain", action="append", help="only this chain (repeatable)")
        parser.add_argument("--deep", action="store_true", help="also parse each record")
        parser.add_argument("--json", action="store_true", help="print the full JSON report")

    def handle(self, *args: Any, **options: Any) -> None:
        report = verify_chains(options["chain"], deep=options["deep"])
        if options["json"]:
            self.stdout.write(json.dumps(report.as_dict(), indent=2, default=str))
        for chain in report.chains:
            state = (
                "ok" if chain.valid else f"BROKEN at seq {chain.first_broken_seq}: {chain.reason}"
            )
            self.stdout.write(f"{chain.chain}: {chain.events_checked} events, {state}")
        if not report.valid:
            raise CommandError(f"audit chain broken: {report.first_broken}")
        self.stdout.write(f"valid: {report.events_checked} events in {len(report.chains)} chains")
