"""`manage.py run_worker [--once]`: deliver webhooks and run scheduled jobs."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser

from webhooks.shutdown import StopRequest
from webhooks.worker import worker_drain, worker_loop


class Command(BaseCommand):
    help = (
        "Deliver webhooks from the outbox and run the scheduled jobs. SIGTERM or SIGINT (any "
        "number of them) stops it: the current delivery finishes, unsent claims are handed "
        "back, and it exits within WORKER_STOP_GRACE_SECONDS whatever it was doing."
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
        stop = StopRequest(grace_seconds=settings.WORKER_STOP_GRACE_SECONDS)
        stop.install()
        worker_loop(stop)
        stop.ignore_further_signals()
