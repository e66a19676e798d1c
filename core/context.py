"""Per-request context (request id, route, client address) for logs and audit events."""

from __future__ import annotations

import contextvars
from dataclasses import dataclass


@dataclass(frozen=True)
class RequestContext:
    request_id: str = ""
    route: str = ""
    ip: str = ""
    user_agent: str = ""


_current: contextvars.ContextVar[RequestContext] = contextvars.ContextVar(
    "request_context",
    default=RequestContext(),  # noqa: B039 - frozen dataclass, immutable
)


def current() -> RequestContext:
    return _current.get()


def set_current(ctx: RequestContext) -> contextvars.Token[RequestContext]:
    return _current.set(ctx)


def reset(token: contextvars.Token[RequestContext]) -> None:
    _current.reset(token)


def with_route(route: str) -> None:
    """Record the matched URL pattern once routing has happened."""
    ctx = _current.get()
    _current.set(RequestContext(ctx.request_id, route, ctx.ip, ctx.user_agent))
