"""Domain errors: raised by services and selectors, rendered as problem+json by `api/`."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

T = TypeVar("T")


class ConfigError(RuntimeError):
    """The process is misconfigured and must not start (settings, key ring, job registry)."""


class ApplicationError(Exception):
    """A refusal the caller can act on. `code` is stable; `detail` names no survivor data."""

    status = 400
    code = "invalid_request"
    title = "The request could not be processed."

    def __init__(
        self,
        detail: str | None = None,
        *,
        code: str | None = None,
        target: tuple[str, Any] | None = None,
        **extra: Any,
    ):
        super().__init__(detail or self.title)
        self.detail = detail or self.title
        if code:
            self.code = code
        # (type, id) of the object refused, for the `authz.denied` audit event; never rendered.
        self.target = target
        self.extra = extra


# Codes for rules shared by more than one resource: one rule, one code, one field name.
INVALID_RECIPIENT = "invalid_recipient"  # the recipient must be another active agency


class ValidationFailed(ApplicationError):
    status = 400
    code = "validation_error"
    title = "The request body is not valid."

    def __init__(self, detail: str | None = None, *, field: str | None = None, **extra: Any):
        if field:
            code = extra.get("code") or self.code
            error = {"field": field, "message": detail or self.title, "code": code}
            extra.setdefault("errors", [error])
        super().__init__(detail, **extra)


class RuleErrors:
    """Run independent rules and refuse once, naming every rule that failed.

    One failure is raised as it is (its own `code` and extras); several become one
    `validation_error` whose `errors[]` holds each failure with its field and code.
    """

    def __init__(self) -> None:
        self.failures: list[ValidationFailed] = []

    def run(self, rule: Callable[[], T]) -> T | None:
        try:
            return rule()
        except ValidationFailed as exc:
            self.failures.append(exc)
            return None

    def add(self, failure: ValidationFailed) -> None:
        self.failures.append(failure)

    def raise_any(self) -> None:
        if len(self.failures) == 1:
            raise self.failures[0]
        if self.failures:
            errors = [
                error
                for failure in self.failures
                for error in failure.extra.get("errors")
                or [{"field": "", "message": failure.detail, "code": failure.code}]
            ]
            raise ValidationFailed(f"{len(errors)} rules refused the request.", errors=errors)


class NotFound(ApplicationError):
    """Missing and not-yours look the same (DESIGN §2.1)."""

    status = 404
    code = "not_found"
    title = "Not found."


class PermissionDenied(ApplicationError):
    status = 403
    code = "permission_denied"
    title = "You do not have permission to perform this action."


class Conflict(ApplicationError):
    status = 409
    code = "conflict"
    title = "The request conflicts with the current state of the resource."


class PreconditionFailed(ApplicationError):
    status = 412
    code = "precondition_failed"
    title = "The resource has changed since you last read it."


class AuthenticationFailed(ApplicationError):
    status = 401
    code = "authentication_failed"
    title = "Authentication failed."


class TooManyRequests(ApplicationError):
    """`retry_after` (seconds) becomes the response's `Retry-After` header."""

    status = 429
    code = "too_many_requests"
    title = "Too many requests; slow down."

    def __init__(self, detail: str | None = None, *, retry_after: int | None = None, **extra: Any):
        super().__init__(detail, **extra)
        self.retry_after = retry_after


class IntegrityFailure(ApplicationError):
    """Stored data failed an integrity check (decryption, MAC). Fail closed."""

    status = 500
    code = "integrity_failure"
    title = "Stored data failed an integrity check; the request was refused."
