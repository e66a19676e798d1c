"""`manage.py run_worker [--once]`: deliver webhooks and run scheduled jobs."""

from __future__ import annotations

import signal
import threading
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from webhooks.worker import worker_drain, worker_loop


class Command(BaseCommand):
    help = (
        "Deliver webhooks from the outbox and run the scheduled jobs. SIGTERM stops it gracefully."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--once", action="store_true", help="Work until nothing is due, then exit."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["once"]:
            total = worker_drain(max_ticks=1_000_000)
            self.stdout.write(
                f"fanned out {total.fanned_out}, attempted {total.attempted}, "
                f"delivered {total.delivered}"
            )
            return
        stop = threading.Event()
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, lambda *_: stop.set())
        worker_loop(stop)
