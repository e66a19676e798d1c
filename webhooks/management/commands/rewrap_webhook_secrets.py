"""`manage.py rewrap_webhook_secrets`: re-encrypt signing secrets under the primary KEK."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from core.actor import system_actor
from webhooks.maintenance import subscription_secrets_rewrap


class Command(BaseCommand):
    help = "Re-encrypt webhook signing secrets under the primary field KEK (after a rotation)."

    def handle(self, *args: Any, **options: Any) -> None:
        done = subscription_secrets_rewrap(actor=system_actor("rewrap_webhook_secrets"))
        self.stdout.write(f"rewrapped {done} webhook secret(s)")
