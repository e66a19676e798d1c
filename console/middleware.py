"""The console's session: who is signed in, rebuilt from the database on every request."""

from __future__ import annotations

import time
from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse

from accounts.browser import browser_actor, browser_session_end

PREFIX = "/app/"
USER, FAMILY, SEEN = "console_user", "console_family", "console_seen"
# Requests that do not count as activity (the idle warning's own check).
PASSIVE_PATHS = frozenset({"/app/session/status"})
Handler = Callable[[HttpRequest], HttpResponse]


class ConsoleSessionMiddleware:
    """Sets `request.console_actor` (None when signed out) on /app/ requests.

    A session idle past CONSOLE_IDLE_SECONDS is ended (its token family revoked), as is one
    whose user, agency or family is no longer valid; the person signs in again.
    """

    def __init__(self, get_response: Handler) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request.console_actor = None  # type: ignore[attr-defined]
        request.console_timed_out = False  # type: ignore[attr-defined]
        if request.path.startswith(PREFIX):
            self._resolve(request)
        return self.get_response(request)

    def _resolve(self, request: HttpRequest) -> None:
        session = request.session
        family = session.get(FAMILY)
        if not family:
            return
        now = time.time()
        if now - float(session.get(SEEN, 0)) > settings.CONSOLE_IDLE_SECONDS:
            browser_session_end(family_id=family, reason="idle_timeout")
            session.flush()
            request.console_timed_out = True  # type: ignore[attr-defined]
            return
        actor = browser_actor(user_id=session.get(USER, ""), family_id=family)
        if actor is None:
            session.flush()
            return
        if request.path not in PASSIVE_PATHS:
            session[SEEN] = now
        request.console_actor = actor  # type: ignore[attr-defined]
