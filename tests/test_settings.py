"""Settings fail closed: without secrets the process refuses to start."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
REQUIRED = ["DJANGO_SECRET_KEY", "JWT_SIGNING_KEY", "AUDIT_PSEUDONYM_KEY", "AUDIT_SIGNING_KEY"]


def _check(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def _base_env() -> dict[str, str]:
    keep = {k: v for k, v in os.environ.items() if k not in {"ENV_FILE", "DATABASE_URL"}}
    keep["ENV_FILE"] = ""  # empty: manage.py must not fall back to .dev/dev.env here
    for name in REQUIRED + ["FIELD_KEYS", "FIELD_KEYS_FILE"]:
        keep.pop(name, None)
    return keep


def _full_env(tmp_path: Path) -> dict[str, str]:
    from django.conf import settings

    return {
        **_base_env(),
        "DJANGO_SECRET_KEY": settings.SECRET_KEY,
        "JWT_SIGNING_KEY": settings.JWT_SIGNING_KEY,
        "AUDIT_PSEUDONYM_KEY": settings.AUDIT_PSEUDONYM_KEY,
        "AUDIT_SIGNING_KEY": settings.AUDIT_SIGNING_KEY,
        "FIELD_KEYS_FILE": str(settings.FIELD_KEYS_FILE),
        "DATABASE_URL": f"sqlite:///{tmp_path / 'x.sqlite3'}",
    }


def test_it_starts_with_every_secret(tmp_path):
    result = _check(_full_env(tmp_path))
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize("missing", REQUIRED + ["FIELD_KEYS_FILE"])
def test_it_refuses_to_start_without_a_secret(tmp_path, missing):
    env = _full_env(tmp_path)
    env.pop(missing)
    result = _check(env)
    assert result.returncode != 0
    assert "configuration error" in result.stderr
    assert missing.removesuffix("_FILE") in result.stderr


def test_it_refuses_a_short_secret_key(tmp_path):
    env = _full_env(tmp_path) | {"DJANGO_SECRET_KEY": "too-short"}
    result = _check(env)
    assert result.returncode != 0 and "DJANGO_SECRET_KEY" in result.stderr


def test_debug_is_off_unless_asked_for(tmp_path):
    env = _full_env(tmp_path)
    env.pop("DEBUG", None)
    code = "import django; django.setup(); from django.conf import settings; print(settings.DEBUG)"
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env={**env, "DJANGO_SETTINGS_MODULE": "referral_hub.settings"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.stdout.strip() == "False", result.stderr
