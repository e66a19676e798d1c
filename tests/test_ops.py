"""Health probes, demo seeding and operator commands."""

from __future__ import annotations

import io

import pytest
from django.core.management import CommandError, call_command

from accounts.models import Integration, User
from accounts.secrets import secret_matches
from agencies.models import Agency


def test_healthz_needs_no_auth(anon):
    assert anon.get("/healthz").json() == {"status": "ok"}


@pytest.mark.django_db
def test_readyz_reports_ready_when_db_and_keys_are_fine(anon):
    response = anon.get("/readyz")
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "ready"


@pytest.mark.django_db
def test_readyz_is_503_when_keys_are_broken(anon, settings, tmp_path):
    from crypto.keyring import load_keyring

    bad = tmp_path / "keys.json"
    bad.write_text('{"primary": "k1", "keys": {"k1": "dG9vLXNob3J0"}}')
    settings.FIELD_KEYS, settings.FIELD_KEYS_FILE = None, str(bad)
    load_keyring.cache_clear()
    try:
        response = anon.get("/readyz")
    finally:
        load_keyring.cache_clear()
    assert response.status_code == 503
    assert "32 bytes" in response.json()["problems"]["keys"]


@pytest.mark.django_db
def test_seed_demo_refuses_with_debug_off(settings):
    settings.DEBUG = False
    with pytest.raises(CommandError, match="--force"):
        call_command("seed_demo", stdout=io.StringIO())


@pytest.mark.django_db
def test_seed_demo_is_idempotent(settings, monkeypatch):
    settings.DEBUG = True
    monkeypatch.setenv("DEMO_PASSWORD", "a-long-demo-password")
    call_command("seed_demo", stdout=io.StringIO())
    counts = (Agency.objects.count(), User.objects.count())
    call_command("seed_demo", stdout=io.StringIO())
    assert (Agency.objects.count(), User.objects.count()) == counts
    assert counts[0] >= 4
    roles = dict(User.objects.values_list("username", "role"))
    assert roles["alice"] == "caseworker" and roles["erin"] == "compliance_officer"
    assert User.objects.get(username="vic").agency.is_victim_service_provider
    assert User.objects.get(username="alice").check_password("a-long-demo-password")
    assert all(a.programs.exists() for a in Agency.objects.all())


@pytest.mark.django_db
def test_operator_commands_onboard_an_agency(monkeypatch):
    out = io.StringIO()
    call_command("create_agency", "Riverside Tenants Union", kind="housing", stdout=out)
    monkeypatch.setattr("sys.stdin", io.StringIO("a-strong-password-1\n"))
    call_command(
        "create_user", "rita", agency="Riverside Tenants Union", role="caseworker", stdout=out
    )
    user = User.objects.get(username="rita")
    assert (
        user.check_password("a-strong-password-1") and user.agency.name == "Riverside Tenants Union"
    )

    call_command(
        "create_integration",
        "rita-cms",
        agency="Riverside Tenants Union",
        scopes="referrals:read",
        stdout=out,
        stderr=io.StringIO(),
    )
    secret = [line for line in out.getvalue().splitlines() if line.startswith("client_secret=")][
        0
    ].split("=", 1)[1]
    integration = Integration.objects.get(name="rita-cms")
    assert secret_matches(secret, integration.secret_hash)
    assert secret not in integration.secret_hash


@pytest.mark.django_db
def test_create_user_refuses_a_weak_password(monkeypatch, eastside):
    monkeypatch.setattr("sys.stdin", io.StringIO("short\n"))
    with pytest.raises(CommandError, match="too short"):
        call_command(
            "create_user", "weak", agency=eastside.name, role="caseworker", stdout=io.StringIO()
        )


@pytest.mark.django_db
def test_create_integration_rejects_unknown_scopes(eastside):
    with pytest.raises(CommandError, match="Unknown scopes"):
        call_command(
            "create_integration", "x", agency=eastside.name, scopes="root:all", stdout=io.StringIO()
        )


def test_manage_py_finds_the_dev_env_file_without_being_told():
    """Operator commands from the guide run as written after `make bootstrap` (no ENV_FILE)."""
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent
    if not (root / ".dev" / "dev.env").is_file():
        pytest.skip("no .dev/dev.env: run `make bootstrap`")
    code = (
        "import os; from django.conf import settings; print(os.environ['ENV_FILE'], settings.DEBUG)"
    )
    clean = {"PATH": "/usr/bin:/bin", "HOME": "/tmp"}  # nothing from the test environment
    done = subprocess.run(
        [sys.executable, "manage.py", "shell", "--no-imports", "-c", code],
        cwd=root,
        env=clean,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == [str(root / ".dev" / "dev.env"), "True"]


def test_an_explicit_env_file_still_wins():
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent
    clean = {"PATH": "/usr/bin:/bin", "HOME": "/tmp", "ENV_FILE": "/nonexistent/x.env"}
    done = subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=root,
        env=clean,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2 and "ENV_FILE=/nonexistent/x.env" in done.stderr
