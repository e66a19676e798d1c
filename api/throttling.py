"""Per-user and per-integration request throttling (per-address for anonymous calls)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from rest_framework.request import Request
from rest_framework.throttling import SimpleRateThrottle

from core.actor import Actor


class ActorRateThrottle(SimpleRateThrottle):
    """One bucket per user or integration; anonymous callers share one per address."""

    scope = "actor"

    def get_cache_key(self, request: Request, view: Any) -> str | None:
        actor = request.user
        if isinstance(actor, Actor) and actor.id:
            return f"throttle:{actor.kind}:{actor.id}"
        return f"throttle:anon:{self.get_ident(request)}"

    def get_rate(self) -> str | None:
        """`THROTTLE_ACTOR_RATE` or `THROTTLE_ANON_RATE`, read per request (tests override)."""
        return str(getattr(settings, f"THROTTLE_{self.scope.upper()}_RATE"))

    def allow_request(self, request: Request, view: Any) -> bool:
        actor = request.user
        self.scope = "actor" if isinstance(actor, Actor) and actor.id else "anon"
        self.rate = self.get_rate()
        self.num_requests, self.duration = self.parse_rate(self.rate)
        return super().allow_request(request, view)
