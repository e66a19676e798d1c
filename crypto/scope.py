"""Request-scoped cache of unwrapped keys: each client's DEK is unwrapped at most once per request.

The cache lives in a context variable opened by `KeyScopeMiddleware` (per request) or
`key_scope()` (management commands, benchmarks) and wiped when the scope ends. Outside a scope
nothing is cached. There is no process-wide cache of plaintext keys.
"""

from __future__ import annotations

import contextvars
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from django.http import HttpRequest, HttpResponse


@dataclass
class KeyScope:
    deks: dict[uuid.UUID, tuple[str, bytes]] = field(default_factory=dict)  # client -> (id, key)
    aeads: dict[tuple[Any, ...], Any] = field(default_factory=dict)  # field keys and bindings
    index_keys: dict[tuple[Any, ...], bytes] = field(default_factory=dict)
    unwraps: int = 0  # DEK unwraps performed in this scope (tests assert on it)

    def forget(self, client_id: uuid.UUID) -> None:
        self.deks.pop(client_id, None)
        for key in [k for k in self.aeads if k[0] == client_id]:
            del self.aeads[key]

    def clear(self) -> None:
        self.deks.clear()
        self.aeads.clear()
        self.index_keys.clear()


_current: contextvars.ContextVar[KeyScope | None] = contextvars.ContextVar(
    "crypto_key_scope", default=None
)


def current() -> KeyScope:
    """The open scope, or a throwaway one (caching nothing beyond this call)."""
    return _current.get() or KeyScope()


def is_open() -> bool:
    return _current.get() is not None


@contextmanager
def key_scope() -> Iterator[KeyScope]:
    """Open a scope (nested scopes reuse the outer one); keys are dropped when it closes."""
    outer = _current.get()
    if outer is not None:
        yield outer
        return
    scope = KeyScope()
    token = _current.set(scope)
    try:
        yield scope
    finally:
        scope.clear()
        _current.reset(token)


class KeyScopeMiddleware:
    """Open a key scope for each request and drop every unwrapped key when it ends."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        with key_scope():
            return self.get_response(request)
