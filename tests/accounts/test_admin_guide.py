"""The agency admin guide's walk-through (docs/examples/admin.sh) runs against a live server."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from accounts.models import Integration, TokenFamily, User
from audit.models import AuditEvent
from tests.conftest import PASSWORD

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.skipif(shutil.which("curl") is None, reason="needs curl")
@pytest.mark.django_db(transaction=True)
def test_the_admin_walkthrough_runs(live_server, adam, settings):
    settings.MFA_REQUIRED_ROLES = ["caseworker", "supervisor"]  # the production default's kind
    env = {
        **os.environ,
        "BASE": live_server.url,
        "ADMIN": "adam",
        "PASSWORD": PASSWORD,
        "NEW_USER": "nina",
        "PYTHON": sys.executable,
    }
    result = subprocess.run(
        ["bash", str(ROOT / "docs/examples/admin.sh")],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr + result.stdout
    assert result.stdout.splitlines() == [
        "invited -> False",
        "password set -> 204",
        "sign-in -> 202",
        "recovery codes -> 10",
        "enrolled -> True",
        "sessions -> 1",
        "supervisor",
        "after rotation -> old 200 new 200",
        "after revoke -> 401",
        "False",
        "colleague -> 401",
    ]
    nina = User.objects.get(username="nina")
    assert not nina.is_active and nina.role == "supervisor" and nina.mfa_enabled
    assert not TokenFamily.objects.filter(user=nina, revoked_at__isnull=True).exists()
    assert not Integration.objects.get(name="Case system").is_active
    actions = set(AuditEvent.objects.values_list("action", flat=True))
    assert {
        "user.invite",
        "user.password_set",
        "mfa.enrol",
        "user.role_change",
        "integration.rotate_secret",
        "integration.revoke",
        "user.deactivate",
    } <= actions
