"""RFC 9457 problem details for every error, with a stable `code`."""

from __future__ import annotations

import logging
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import RequestDataTooBig
from django.http import Http404, HttpRequest, JsonResponse
from django.urls import Resolver404, resolve
from rest_framework import exceptions
from rest_framework.response import Response

from audit.denials import audit_denied
from core import context
from core.actor import Actor
from core.errors import ApplicationError, NotFound, PermissionDenied

logger = logging.getLogger(__name__)
PROBLEM_TYPE = "urn:referral-hub:problem:{code}"
PROBLEM_CONTENT_TYPE = "application/problem+json"

_DRF_CODES: dict[type[exceptions.APIException], str] = {
    exceptions.ValidationError: "validation_error",
    exceptions.ParseError: "malformed_request",
    exceptions.NotAuthenticated: "not_authenticated",
    exceptions.AuthenticationFailed: "authentication_failed",
    exceptions.PermissionDenied: "permission_denied",
    exceptions.NotFound: "not_found",
    exceptions.MethodNotAllowed: "method_not_allowed",
    exceptions.NotAcceptable: "not_acceptable",
    exceptions.UnsupportedMediaType: "unsupported_media_type",
    exceptions.Throttled: "too_many_requests",
}


def problem(status: int, code: str, title: str, detail: str = "", **extra: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "type": PROBLEM_TYPE.format(code=code),
        "title": title,
        "status": status,
        "code": code,
    }
    if detail:
        body["detail"] = detail
    request_id = context.current().request_id
    if request_id:
        body["request_id"] = request_id
    body.update(extra)
    return body


def _flatten(
    detail: Any, prefix: str = "", hints: dict[str, dict[str, Any]] | None = None
) -> list[dict[str, Any]]:
    """DRF's nested error dict as a flat list of {field, message, code} (plus any hint)."""
    if isinstance(detail, dict):
        out: list[dict[str, Any]] = []
        for key, value in detail.items():
            name = str(key) if key != "non_field_errors" else ""
            out += _flatten(value, f"{prefix}.{name}" if prefix and name else prefix or name, hints)
        return out
    if isinstance(detail, list):
        return [e for item in detail for e in _flatten(item, prefix, hints)]
    item: dict[str, Any] = {
        "field": prefix,
        "message": str(detail),
        "code": getattr(detail, "code", None) or "invalid",
    }
    hint = (hints or {}).get(prefix, {})
    if "allowed" in hint and item["code"] == "invalid_choice":
        item["allowed"] = hint["allowed"]
        if len(hint["allowed"]) <= 30:
            item["message"] += " Allowed: " + ", ".join(hint["allowed"]) + "."
    if "did_you_mean" in hint and item["code"] == "unknown_field":
        item["did_you_mean"] = hint["did_you_mean"]
    return [item]


def _respond(body: dict[str, Any], headers: dict[str, str] | None = None) -> Response:
    response = Response(body, status=body["status"], headers=headers)
    response.content_type = PROBLEM_CONTENT_TYPE
    return response


def problem_exception_handler(exc: Exception, ctx: dict[str, Any]) -> Response | None:
    """DRF exception handler: domain errors, DRF errors and surprises all become problems."""
    _audit_denial(exc, ctx)
    if isinstance(exc, ApplicationError):
        body = problem(exc.status, exc.code, exc.title, exc.detail, **exc.extra)
        retry_after = getattr(exc, "retry_after", None)
        return _respond(body, {"Retry-After": str(retry_after)} if retry_after else None)
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()
    elif isinstance(exc, RequestDataTooBig):
        limit = f"The limit is {settings.REQUEST_MAX_BYTES} bytes."
        return _respond(problem(413, "payload_too_large", "The request body is too large.", limit))
    if isinstance(exc, exceptions.APIException):
        return _api_exception(exc, ctx)
    logger.exception("unhandled error", extra={"error_type": type(exc).__name__})
    return _respond(problem(500, "internal_error", "An unexpected error occurred."))


_DENIALS = (
    NotFound,
    PermissionDenied,
    Http404,
    DjangoPermissionDenied,
    exceptions.NotFound,
    exceptions.PermissionDenied,
)


def _audit_denial(exc: Exception, ctx: dict[str, Any]) -> None:
    """404/403 for an authenticated caller is an `authz.denied` audit event (survives rollback)."""
    actor = getattr(ctx.get("request"), "_user", None)  # never re-run authentication here
    if isinstance(exc, _DENIALS) and isinstance(actor, Actor):
        forbidden = PermissionDenied | DjangoPermissionDenied | exceptions.PermissionDenied
        code = getattr(exc, "code", None)  # domain errors carry a stable code
        default = "permission_denied" if isinstance(exc, forbidden) else "not_found"
        reason = code if isinstance(code, str) else default
        audit_denied(
            actor=actor,
            reason=reason,
            target=getattr(exc, "target", None),
            path_ids=ctx.get("kwargs") or {},
        )


def _api_exception(exc: exceptions.APIException, ctx: dict[str, Any]) -> Response:
    code = next((c for k, c in _DRF_CODES.items() if isinstance(exc, k)), "error")
    headers: dict[str, str] = {}
    if isinstance(exc, exceptions.ValidationError):
        hints = getattr(exc, "hints", None)
        errors = _flatten(exc.detail, hints=hints)
        detail = f"{len(errors)} field errors." if len(errors) > 1 else ""
        body = problem(400, code, "The request body is not valid.", detail, errors=errors)
        return _respond(body)
    detail_code = getattr(exc.detail, "code", None)
    if isinstance(detail_code, str) and detail_code != exc.default_code:
        code = detail_code  # e.g. `token_expired`, `invalid_auth_scheme`
    if isinstance(exc, exceptions.NotAuthenticated | exceptions.AuthenticationFailed):
        request = ctx.get("request")
        view = ctx.get("view")
        auth_header = view.get_authenticate_header(request) if view and request else None
        headers["WWW-Authenticate"] = auth_header or 'Bearer realm="api"'
        exc.status_code = 401
    if isinstance(exc, exceptions.NotAuthenticated) and code == "not_authenticated":
        exc.detail = exceptions.ErrorDetail(NOT_AUTHENTICATED, code=code)
    wait = getattr(exc, "wait", None)
    if isinstance(exc, exceptions.Throttled):
        headers["Retry-After"] = str(int(wait) + 1 if wait is not None else 1)
    detail = str(exc.detail) if not isinstance(exc.detail, dict | list) else ""
    title = detail or "Request failed."
    return _respond(problem(exc.status_code, code, title, detail), headers)


NOT_AUTHENTICATED = "Authentication required: send `Authorization: Bearer <access token>`."


def _plain(
    request: HttpRequest, status: int, code: str, title: str, detail: str = ""
) -> JsonResponse:
    return JsonResponse(
        problem(status, code, title, detail), status=status, content_type=PROBLEM_CONTENT_TYPE
    )


def api_not_found(request: HttpRequest, rest: str = "") -> JsonResponse:
    """Every path under /api/ that no route matches: a problem 404 (never HTML, even in DEBUG).

    Says why when it can: a trailing slash (paths have none), or a path id that is not a UUID.
    """
    path = request.path
    detail = "No API route matches this path."
    if path.endswith("/") and _resolves(path.rstrip("/")):
        detail = f"Paths have no trailing slash: use {path.rstrip('/')}."
    elif _resolves_with_uuid(path):
        detail = "An id in this path is not a UUID."
    return _plain(request, 404, "not_found", "Not found.", detail)


def _resolves(path: str) -> bool:
    try:
        match = resolve(path)
    except Resolver404:
        return False
    return match.func is not api_not_found


def _resolves_with_uuid(path: str) -> bool:
    parts = path.rstrip("/").split("/")
    placeholder = "00000000-0000-4000-8000-000000000000"
    return any(
        _resolves("/".join([*parts[:i], placeholder, *parts[i + 1 :]]))
        for i in range(3, len(parts))
    )


def payload_too_large(limit: int) -> JsonResponse:
    """The 413 the body-size middleware answers before the body is read."""
    body = problem(
        413, "payload_too_large", "The request body is too large.", f"The limit is {limit} bytes."
    )
    return JsonResponse(body, status=413, content_type=PROBLEM_CONTENT_TYPE)


def server_error() -> JsonResponse:
    return JsonResponse(
        problem(500, "internal_error", "An unexpected error occurred."),
        status=500,
        content_type=PROBLEM_CONTENT_TYPE,
    )


_STATUS_CODES = {
    400: ("bad_request", "Bad request."),
    401: ("not_authenticated", NOT_AUTHENTICATED),
    403: ("permission_denied", "Forbidden."),
    404: ("not_found", "Not found."),
    405: ("method_not_allowed", "Method not allowed."),
    406: ("not_acceptable", "Not acceptable."),
    413: ("payload_too_large", "The request body is too large."),
    415: ("unsupported_media_type", "Unsupported media type."),
    429: ("too_many_requests", "Too many requests; slow down."),
}


def problem_for_status(status: int) -> JsonResponse:
    """A problem body for an error response something outside DRF produced."""
    if status >= 500:
        return JsonResponse(
            problem(status, "internal_error", "An unexpected error occurred."),
            status=status,
            content_type=PROBLEM_CONTENT_TYPE,
        )
    code, title = _STATUS_CODES.get(status, ("bad_request", "Bad request."))
    return JsonResponse(
        problem(status, code, title), status=status, content_type=PROBLEM_CONTENT_TYPE
    )


def handler404(request: HttpRequest, exception: Exception | None = None) -> JsonResponse:
    return _plain(request, 404, "not_found", "Not found.")


def handler400(request: HttpRequest, exception: Exception | None = None) -> JsonResponse:
    return _plain(request, 400, "bad_request", "Bad request.")


def handler403(request: HttpRequest, exception: Exception | None = None) -> JsonResponse:
    return _plain(request, 403, "permission_denied", "Forbidden.")


def handler500(request: HttpRequest) -> JsonResponse:
    return _plain(request, 500, "internal_error", "An unexpected error occurred.")
