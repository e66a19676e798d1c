"""RFC 9457 problem details for every error, with a stable `code`."""

from __future__ import annotations

import logging
from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import RequestDataTooBig
from django.http import Http404, HttpRequest, JsonResponse
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


def _flatten(detail: Any, prefix: str = "") -> list[dict[str, str]]:
    """DRF's nested error dict as a flat list of {field, message, code}."""
    if isinstance(detail, dict):
        out: list[dict[str, str]] = []
        for key, value in detail.items():
            name = key if key != "non_field_errors" else ""
            out += _flatten(value, f"{prefix}.{name}" if prefix and name else prefix or name)
        return out
    if isinstance(detail, list):
        return [e for item in detail for e in _flatten(item, prefix)]
    return [{"field": prefix, "message": str(detail), "code": getattr(detail, "code", "invalid")}]


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
        return _respond(problem(413, "payload_too_large", "The request body is too large."))
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
        body = problem(400, code, "The request body is not valid.", errors=_flatten(exc.detail))
        return _respond(body)
    if isinstance(exc, exceptions.NotAuthenticated | exceptions.AuthenticationFailed):
        request = ctx.get("request")
        view = ctx.get("view")
        auth_header = view.get_authenticate_header(request) if view and request else None
        headers["WWW-Authenticate"] = auth_header or 'Bearer realm="api"'
        exc.status_code = 401
    wait = getattr(exc, "wait", None)
    if isinstance(exc, exceptions.Throttled) and wait is not None:
        headers["Retry-After"] = str(int(wait) + 1)
    detail = str(exc.detail) if not isinstance(exc.detail, dict | list) else ""
    title = detail or "Request failed."
    return _respond(problem(exc.status_code, code, title, detail), headers)


def _plain(request: HttpRequest, status: int, code: str, title: str) -> JsonResponse:
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
