"""Per-user and per-integration request throttling (per address for anonymous calls).

Counted in the shared cache (`accounts.limits`), one fixed window per rate period, with one
atomic increment per request: all processes count against the same numbers and parallel
requests cannot race past the limit. The anonymous bucket is keyed by the client address the
middleware decided (`TRUSTED_PROXY_COUNT`), never by a raw X-Forwarded-For.
"""

from __future__ import annotations

import time
from typing import Any

from django.conf import settings
from rest_framework.request import Request
from rest_framework.throttling import SimpleRateThrottle

from accounts.limits import counter_incr
from api.base import client_ip
from core.actor import Actor


class ActorRateThrottle(SimpleRateThrottle):
    """One bucket per user or integration; anonymous callers share one per address."""

    scope = "actor"

    def get_cache_key(self, request: Request, view: Any) -> str | None:
        actor = request.user
        if isinstance(actor, Actor) and actor.id:
            return f"throttle:{actor.kind}:{actor.id}"
        return f"throttle:anon:{client_ip(request)}"

    def get_rate(self) -> str | None:
        """`THROTTLE_ACTOR_RATE` or `THROTTLE_ANON_RATE`, read per request (tests override)."""
        return str(getattr(settings, f"THROTTLE_{self.scope.upper()}_RATE"))

    def allow_request(self, request: Request, view: Any) -> bool:
        actor = request.user
        self.scope = "actor" if isinstance(actor, Actor) and actor.id else "anon"
        self.rate = self.get_rate()
        limit, period = self.parse_rate(self.rate)
        if limit is None or period is None:
            return True
        now = time.time()
        window = int(now // period)
        key = f"{self.get_cache_key(request, view)}:{window}"
        self._wait = (window + 1) * period - now
        return counter_incr(key, ttl=int(period) + 1) <= limit

    def wait(self) -> float | None:
        return max(1.0, self._wait)
