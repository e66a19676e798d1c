"""manage.py mfa_reset USERNAME: back to "must enrol" at the next sign-in (audited, announced).

Operators never see or set a seed: this removes the user's factor, recovery codes and sessions,
and the user enrols themselves through the enrolment step when they next sign in.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from accounts.mfa import mfa_reset
from accounts.models import User
from core.actor import system_actor


class Command(BaseCommand):
    help = "Reset a user's MFA: they must enrol again at their next sign-in."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")

    def handle(self, *args: Any, **opts: Any) -> None:
        user = User.objects.filter(username=opts["username"]).first()
        if user is None:
            raise CommandError("No such user.")
        mfa_reset(actor=system_actor("operator"), user=user)
        self.stdout.write(f"{user.username} must enrol MFA at their next sign-in.")
