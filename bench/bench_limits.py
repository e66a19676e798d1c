"""Cost of counting every request in a store all processes share (issue 14).

The same JWT-authenticated directory read, throttled (ActorRateThrottle: one atomic increment
per request) with the counter in process memory (what the suite and `make run` use), in the
database cache (the default without Redis: a row-locked UPDATE), and in Redis (`REDIS_URL`;
skipped when no Redis answers at BENCH_REDIS_URL, default redis://127.0.0.1:6379/0).
"""

from __future__ import annotations

import os
import statistics
import uuid
from typing import Any

from bench.harness import rate, ready, row

REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/0")


def _stores() -> dict[str, dict[str, Any]]:
    prefix = f"rh-bench-{uuid.uuid4().hex}"
    stores = {
        "memory": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
        "database": {"BACKEND": "accounts.cache.DatabaseCache", "LOCATION": "rh_cache"},
    }
    try:
        import redis

        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1).ping()
        stores["redis"] = {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": prefix,
        }
    except Exception:  # no Redis here: bench the others
        pass
    return stores


def _cleanup(stores: dict[str, dict[str, Any]]) -> None:
    if "redis" not in stores:
        return
    import redis

    client = redis.Redis.from_url(REDIS_URL)
    keys = list(client.scan_iter(match=f"{stores['redis']['KEY_PREFIX']}*"))
    if keys:
        client.delete(*keys)


def run() -> list[dict[str, Any]]:
    vendor = ready()
    from django.test import Client
    from django.test.utils import override_settings

    from accounts.models import TokenFamily, User
    from agencies.models import Agency
    from api import tokens

    agency = Agency.objects.create(name="Limits Bench", kind="other")
    user = User.objects.create_user(
        username="limits-bench", password=None, agency=agency, role="caseworker"
    )
    bearer = f"Bearer {tokens.user_access(user, TokenFamily.objects.create(user=user))}"
    client, url = Client(), f"/api/v1/agencies/{agency.id}"
    stores = _stores()

    def read() -> None:
        assert client.get(url, HTTP_AUTHORIZATION=bearer).status_code == 200

    samples: dict[str, list[float]] = {name: [] for name in stores}
    try:
        for _round in range(3):  # the stores alternate round by round (same window)
            for name, store in stores.items():
                with override_settings(
                    CACHES={"default": store}, THROTTLE_ACTOR_RATE="10000000/min"
                ):
                    samples[name].append(rate(read, seconds=1.5))
    finally:
        _cleanup(stores)
    rates = {name: statistics.median(values) for name, values in samples.items()}
    base = rates["memory"]
    return [
        row(
            "Limits",
            f"throttled read, counter in {name} ({vendor})",
            value,
            "req/s",
            baseline=None if name == "memory" else "memory",
            ratio=None if name == "memory" else value / base,
            note="one atomic increment per request",
        )
        for name, value in rates.items()
    ]
