"""Expire overdue `requested` referrals and remind recipients of deadlines coming up."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from core.actor import system_actor
from crypto.scope import key_scope
from referrals.services import referral_expire_due, referral_remind_due_soon


class Command(BaseCommand):
    help = (
        "Move `requested` referrals past their response deadline to `expired`, and send "
        "`referral.response_due_soon` once per referral within REFERRAL_REMINDER_HOURS of it."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        actor = system_actor("expire_referrals")
        with key_scope():
            reminded = referral_remind_due_soon(actor=actor)
            expired = referral_expire_due(actor=actor)
        self.stdout.write(f"reminded {reminded} referral(s); expired {expired} referral(s)")
