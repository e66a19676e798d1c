"""Startup check: throttle and lockout state must be shared when DEBUG is off."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import Error, register


@register()
def limits_store_is_shared(app_configs: Any = None, **kwargs: Any) -> list[Error]:
    backend = settings.CACHES[settings.LIMITS_CACHE]["BACKEND"]
    if not settings.DEBUG and backend.endswith("LocMemCache"):
        return [
            Error(
                "Throttle and lockout state is in process memory with DEBUG off: every process "
                "would count on its own. Set REDIS_URL, or leave CACHES to the database cache.",
                id="accounts.E001",
            )
        ]
    return []
