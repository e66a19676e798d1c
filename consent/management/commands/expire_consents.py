"""Record `expired` on consents past their expiry (policy already treats them as expired)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from consent.services import consent_expire_due
from core.actor import system_actor


class Command(BaseCommand):
    help = "Record the status change of active consents whose expiry has passed (audited)."

    def handle(self, *args: Any, **options: Any) -> None:
        count = consent_expire_due(actor=system_actor("expire_consents"))
        self.stdout.write(f"expired {count} consent(s)")
