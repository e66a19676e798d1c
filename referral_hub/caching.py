"""Which cache holds throttle and lockout state: one all processes share, outside dev.

- `REDIS_URL` set: Redis (Django's built-in backend; INCR is atomic).
- otherwise the database cache (`accounts.cache.DatabaseCache`, table `rh_cache`, created by
  migrations; its `incr` locks the row, so counting stays atomic across processes);
- local memory only for the embedded dev default (`DEBUG` on and no `DATABASE_URL`), where one
  process serves; never with `DEBUG` off.
"""

from __future__ import annotations

from typing import Any

LOCAL_MEMORY = "django.core.cache.backends.locmem.LocMemCache"
DATABASE = "accounts.cache.DatabaseCache"
REDIS = "django.core.cache.backends.redis.RedisCache"


def cache_settings(
    *, redis_url: str | None, debug: bool, database_url: str | None, key_prefix: str
) -> dict[str, dict[str, Any]]:
    if redis_url:
        default: dict[str, Any] = {"BACKEND": REDIS, "LOCATION": redis_url}
    elif debug and not database_url:
        default = {"BACKEND": LOCAL_MEMORY, "LOCATION": "referral-hub-dev"}
    else:
        default = {"BACKEND": DATABASE, "LOCATION": "rh_cache", "OPTIONS": {"MAX_ENTRIES": 100000}}
    return {"default": {**default, "KEY_PREFIX": key_prefix, "TIMEOUT": 300}}
