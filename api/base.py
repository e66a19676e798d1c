"""Small helpers shared by the v1 views."""

from __future__ import annotations

from rest_framework.request import Request

from core import context
from core.actor import Actor
from core.errors import AuthenticationFailed


def actor_of(request: Request) -> Actor:
    """The authenticated actor (views behind a permission class always have one)."""
    actor = request.user
    if not isinstance(actor, Actor):
        raise AuthenticationFailed()
    return actor


def client_ip(request: Request) -> str:
    """The caller's address as `RequestContextMiddleware` decided it (TRUSTED_PROXY_COUNT)."""
    return context.current().ip or str(request.META.get("REMOTE_ADDR", ""))[:64]
