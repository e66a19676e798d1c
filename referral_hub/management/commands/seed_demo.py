"""manage.py seed_demo [--force]: demo agencies, users, clients and referrals (idempotent)."""

from __future__ import annotations

import os
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from referral_hub.demo import seed_demo


class Command(BaseCommand):
    help = "Seed demo data. Refuses with DEBUG off unless --force. Password: $DEMO_PASSWORD."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--force", action="store_true", help="seed even with DEBUG off")

    def handle(self, *args: Any, **opts: Any) -> None:
        if not settings.DEBUG and not opts["force"]:
            raise CommandError(
                "DEBUG is off: this looks like production. Use --force to seed anyway."
            )
        password = os.environ.get("DEMO_PASSWORD", "demo-password")
        seed_demo(password, log=self.stdout.write, webhook=True)
        self.stdout.write(
            self.style.SUCCESS("demo data ready (password: $DEMO_PASSWORD or demo-password)")
        )
