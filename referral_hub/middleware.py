"""Request id and client address, body size limit and security headers."""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse

from core import context

_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,64}$")
Handler = Callable[[HttpRequest], HttpResponse]


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
            return JsonResponse(
                {
                    "type": "urn:referral-hub:problem:payload_too_large",
                    "title": "The request body is too large.",
                    "status": 413,
                    "code": "payload_too_large",
                    "detail": f"The limit is {settings.REQUEST_MAX_BYTES} bytes.",
                },
                status=413,
                content_type="application/problem+json",
            )
        return self.get_response(request)


class SecurityHeadersMiddleware:
    """No caching of API responses; a strict CSP except on the Swagger UI page."""

    def __init__(self, get_response: Handler) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if request.path.startswith("/api/") and not request.path.startswith("/api/docs"):
            response.setdefault("Cache-Control", "no-store")
            response.setdefault(
                "Content-Security-Policy", "default-src 'none'; frame-ancestors 'none'"
            )
        response.setdefault("X-Frame-Options", "DENY")
        response.setdefault("Permissions-Policy", "interest-cohort=()")
        return response
