"""Request id, body size limit and security headers."""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse

from core import context

_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,64}$")
Handler = Callable[[HttpRequest], HttpResponse]


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
                ip=str(request.META.get("REMOTE_ADDR", ""))[:64],
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
