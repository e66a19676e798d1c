"""The settings read what docker-compose.yml sets for the proxy and the shared limit store, and
a client's own `X-Forwarded-Proto` is trusted only when an operator says a proxy overwrites it
(issue 18, loose ends of Deliver 1)."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from django.test import Client

from referral_hub.env import ConfigError, env_header_pair
from tests.ops.stack import compose
from tests.test_settings import ROOT, _full_env

PRINT = (
    "import django, json; django.setup(); from django.conf import settings as s; "
    "c = s.CACHES['default']; print(json.dumps({'backend': c['BACKEND'], "
    "'location': c.get('LOCATION'), 'prefix': c['KEY_PREFIX'], "
    "'proxies': s.TRUSTED_PROXY_COUNT, 'ssl_header': s.SECURE_PROXY_SSL_HEADER, "
    "'redirect': s.SECURE_SSL_REDIRECT}))"
)
NAMES = ("REDIS_URL", "TRUSTED_PROXY_COUNT", "SECURE_PROXY_SSL_HEADER", "SECURE_SSL_REDIRECT")


def _settings_of(env: dict[str, str]) -> dict[str, object]:
    done = subprocess.run(
        [sys.executable, "-c", PRINT],
        cwd=ROOT,
        env={**env, "DJANGO_SETTINGS_MODULE": "referral_hub.settings"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)  # type: ignore[no-any-return]


@pytest.mark.parametrize("service", ["api", "worker"])
def test_the_settings_read_what_the_compose_file_sets(tmp_path, service):
    declared = {k: str(v) for k, v in compose()["services"][service]["environment"].items()}
    env = {k: v for k, v in _full_env(tmp_path).items() if k not in (*NAMES, "CACHE_KEY_PREFIX")}
    got = _settings_of({**env, **{name: declared[name] for name in NAMES}})
    assert got == {
        "backend": "django.core.cache.backends.redis.RedisCache",
        "location": "redis://redis:6379/0",
        "prefix": "rh",
        "proxies": 1,
        "ssl_header": ["HTTP_X_FORWARDED_PROTO", "https"],
        "redirect": True,
    }


def test_without_a_proxy_setting_no_forwarded_header_is_trusted(tmp_path):
    env = {k: v for k, v in _full_env(tmp_path).items() if k not in NAMES}
    got = _settings_of(env)
    assert got["ssl_header"] is None and got["proxies"] == 0


@pytest.mark.django_db
def test_a_clients_own_x_forwarded_proto_does_not_skip_the_https_redirect(settings):
    settings.SECURE_SSL_REDIRECT = True
    settings.SECURE_PROXY_SSL_HEADER = None  # no proxy configured
    response = Client().get("/api/v1/referrals/", HTTP_X_FORWARDED_PROTO="https")
    assert response.status_code == 301
    assert response["Location"].startswith("https://testserver/api/v1/referrals/")
    # Behind the compose proxy (which overwrites the header) the same request is served.
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    served = Client().get("/api/v1/referrals/", HTTP_X_FORWARDED_PROTO="https")
    assert served.status_code == 401 and served.json()["code"] == "not_authenticated"


@pytest.mark.parametrize(
    ("raw", "pair"),
    [
        ("HTTP_X_FORWARDED_PROTO,https", ("HTTP_X_FORWARDED_PROTO", "https")),
        ("X-Forwarded-Proto, https", ("HTTP_X_FORWARDED_PROTO", "https")),
        ("", None),
    ],
)
def test_the_header_setting_is_normalised(monkeypatch, raw, pair):
    monkeypatch.setenv("SECURE_PROXY_SSL_HEADER", raw)
    assert env_header_pair("SECURE_PROXY_SSL_HEADER") == pair


@pytest.mark.parametrize("raw", ["HTTP_X_FORWARDED_PROTO", "X-Forwarded-Proto,", ",https", "a,b,c"])
def test_a_malformed_header_setting_refuses_to_start(monkeypatch, raw):
    monkeypatch.setenv("SECURE_PROXY_SSL_HEADER", raw)
    with pytest.raises(ConfigError, match="SECURE_PROXY_SSL_HEADER"):
        env_header_pair("SECURE_PROXY_SSL_HEADER")
