"""Settings of accounts: which cache holds the limits, the production MFA default, the startup
check that refuses process-local limits with DEBUG off (issue 14, Deliver 1 and 3)."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from accounts.checks import limits_store_is_shared
from referral_hub.caching import DATABASE, LOCAL_MEMORY, REDIS, cache_settings
from tests.test_settings import ROOT, _full_env

PRINT = (
    "import django, json; django.setup(); from django.conf import settings as s; "
    "print(json.dumps([s.CACHES['default']['BACKEND'], s.MFA_REQUIRED_ROLES, "
    "s.TRUSTED_PROXY_COUNT]))"
)


def _settings_of(env: dict[str, str]) -> list[object]:
    result = subprocess.run(
        [sys.executable, "-c", PRINT],
        cwd=ROOT,
        env={**env, "DJANGO_SETTINGS_MODULE": "referral_hub.settings"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)  # type: ignore[no-any-return]


@pytest.mark.parametrize(
    ("redis_url", "debug", "database_url", "backend"),
    [
        ("redis://cache:6379/0", False, "postgres://db/x", REDIS),
        ("redis://cache:6379/0", True, None, REDIS),
        (None, False, "postgres://db/x", DATABASE),
        (None, False, None, DATABASE),  # DEBUG off never means process memory
        (None, True, "postgres://db/x", DATABASE),  # several processes share a real database
        (None, True, None, LOCAL_MEMORY),  # the embedded dev default: one process
    ],
)
def test_the_limits_store_is_shared_outside_the_embedded_dev_default(
    redis_url, debug, database_url, backend
):
    chosen = cache_settings(
        redis_url=redis_url, debug=debug, database_url=database_url, key_prefix="rh"
    )
    assert chosen["default"]["BACKEND"] == backend


def test_production_settings_require_mfa_for_every_role_that_sees_data(tmp_path):
    env = _full_env(tmp_path)
    for name in ("DEBUG", "MFA_REQUIRED_ROLES", "REDIS_URL", "TRUSTED_PROXY_COUNT"):
        env.pop(name, None)
    backend, roles, proxies = _settings_of(env)
    assert backend == DATABASE
    assert sorted(roles) == ["agency_admin", "caseworker", "compliance_officer", "supervisor"]
    assert proxies == 0  # X-Forwarded-For is not read unless an operator says so
    redis_backend, _roles, _p = _settings_of({**env, "REDIS_URL": "redis://127.0.0.1:6379/9"})
    assert redis_backend == REDIS


def test_the_startup_check_refuses_process_memory_with_debug_off(settings):
    settings.DEBUG = False
    settings.CACHES = {"default": {"BACKEND": LOCAL_MEMORY}}
    assert [e.id for e in limits_store_is_shared()] == ["accounts.E001"]
    settings.CACHES = {"default": {"BACKEND": DATABASE, "LOCATION": "rh_cache"}}
    assert limits_store_is_shared() == []
