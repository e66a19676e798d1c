"""Request id and client address, body size limit and security headers."""

from __future__ import annotations

import logging
import re
import uuid
from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse

from api.errors import payload_too_large, problem_for_status, server_error
from core import context

_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,64}$")
Handler = Callable[[HttpRequest], HttpResponse]
logger = logging.getLogger(__name__)


def client_address(meta: dict[str, object]) -> str:
    """The caller's address: REMOTE_ADDR, unless `TRUSTED_PROXY_COUNT` proxies stand in front.

    With N trusted proxies, the address is the N-th entry from the right of X-Forwarded-For
    (the one the outermost trusted proxy saw); entries to its left were written by the client
    and are ignored. With the default 0, X-Forwarded-For is never read.
    """
    remote = str(meta.get("REMOTE_ADDR", ""))
    trusted = int(settings.TRUSTED_PROXY_COUNT)
    if trusted <= 0:
        return remote[:64]
    hops = [h.strip() for h in str(meta.get("HTTP_X_FORWARDED_FOR", "")).split(",") if h.strip()]
    if len(hops) < trusted:  # not through the expected proxies: use what connected to us
        return remote[:64]
    return hops[-trusted][:64]


class RequestContextMiddleware:
    """Accept a well-formed `X-Request-ID` or make one; echo it; expose it to logs and audit."""

    def __init__(self, get_response: Handler) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        offered = request.headers.get("X-Request-ID", "")
        request_id = offered if _REQUEST_ID.match(offered) else uuid.uuid4().hex
        token = context.set_current(
            context.RequestContext(
                request_id=request_id,
                ip=client_address(request.META),
                user_agent=request.headers.get("User-Agent", "")[:200],
            )
        )
        try:
            response = self.get_response(request)
        finally:
            context.reset(token)
        response["X-Request-ID"] = request_id
        return response

    def process_view(self, request: HttpRequest, view: object, *args: object) -> None:
        match = request.resolver_match
        if match is not None:
            context.with_route(match.route)


class BodySizeLimitMiddleware:
    """Refuse bodies over REQUEST_MAX_BYTES before reading them (413)."""

    def __init__(self, get_response: Handler) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        if length > settings.REQUEST_MAX_BYTES:
            return payload_too_large(settings.REQUEST_MAX_BYTES)
        return self.get_response(request)


class ApiProblemMiddleware:
    """Under /api/ every error is problem+json, whatever produced it (DEBUG pages included).

    DRF's exception handler and the /api/ catch-all route answer almost everything; this is the
    net under them: an exception escaping a view or a middleware becomes a problem 500, and an
    error response that is not JSON (a CSRF page, a debug page) is replaced by a problem body
    with the same status and headers such as `Retry-After` and `Allow`.
    """

    KEEP = ("Retry-After", "Allow", "WWW-Authenticate")

    def __init__(self, get_response: Handler) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if not request.path.startswith("/api/") or response.status_code < 400:
            return response
        if "json" in response.get("Content-Type", ""):
            return response
        problem = problem_for_status(response.status_code)
        for name in self.KEEP:
            if name in response:
                problem[name] = response[name]
        return problem

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not request.path.startswith("/api/"):
            return None
        logger.error(
            "unhandled error", exc_info=exception, extra={"error_type": type(exception).__name__}
        )
        return server_error()


# Swagger UI and ReDoc: every asset from this origin (drf-spectacular-sidecar, pinned), the
# Swagger init script a separate same-origin request, so scripts are 'self' only. Both UIs set
# styles from script (React style attributes, styled-components), which no nonce can cover:
# styles alone may be inline. Nothing may be fetched, framed or posted elsewhere.
DOC_PAGES = ("/api/docs", "/api/redoc")
DOCS_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; worker-src 'self' blob:; object-src 'none'; base-uri 'none'; "
    "form-action 'self'; frame-ancestors 'none'"
)


class SecurityHeadersMiddleware:
    """No caching of API responses; a strict CSP except on the Swagger UI page."""

    def __init__(self, get_response: Handler) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if request.path in DOC_PAGES:
            response.setdefault("Content-Security-Policy", DOCS_CSP)
        elif request.path.startswith("/api/"):
            response.setdefault("Cache-Control", "no-store")
            response.setdefault(
                "Content-Security-Policy", "default-src 'none'; frame-ancestors 'none'"
            )
        response.setdefault("X-Frame-Options", "DENY")
        response.setdefault("Permissions-Policy", "interest-cohort=()")
        return response
