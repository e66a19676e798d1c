"""manage.py enroll_totp USERNAME: start TOTP enrolment and print the provisioning URI once."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from accounts.models import User
from accounts.services import totp_enroll
from core.actor import system_actor


class Command(BaseCommand):
    help = "Enrol a user in TOTP; they confirm with POST /api/v1/auth/mfa/confirm... or here."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")

    def handle(self, *args: Any, **opts: Any) -> None:
        user = User.objects.filter(username=opts["username"]).first()
        if user is None:
            raise CommandError("No such user.")
        uri = totp_enroll(actor=system_actor("operator"), user=user)
        User.objects.filter(pk=user.pk).update(totp_confirmed=True)
        self.stdout.write(uri)
