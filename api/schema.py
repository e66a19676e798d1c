"""drf-spectacular extensions and the contract hook.

`BearerTokenScheme` and `EnrolmentTokenScheme` say how authentication appears. The
postprocessing hook `postprocess_contract` adds what every operation shares: the `Problem`
component (RFC 9457) and the error responses each operation can give, examples for the main
operations, links from each create to its read (schemathesis' stateful run follows them), and
drops any `default` a property's own `pattern` would refuse.
"""

from __future__ import annotations

import re
from typing import Any

from drf_spectacular.extensions import OpenApiAuthenticationExtension


class BearerTokenScheme(OpenApiAuthenticationExtension):
    target_class = "api.auth.TokenAuthentication"
    name = "bearerAuth"

    def get_security_definition(self, auto_schema: Any) -> dict[str, str]:
        return {
            "type": "http",
            "scheme": "bearer",
            "bearerFormat": "JWT",
            "description": "Access token from /api/v1/auth/token or /api/v1/auth/client-token.",
        }


class EnrolmentTokenScheme(OpenApiAuthenticationExtension):
    target_class = "api.auth.EnrolmentAuthentication"
    name = "enrolmentStep"

    def get_security_definition(self, auto_schema: Any) -> dict[str, str]:
        return {
            "type": "http",
            "scheme": "bearer",
            "bearerFormat": "JWT",
            "description": (
                "The enrolment-step token from a 202 of /api/v1/auth/token: accepted only by "
                "/auth/mfa/enroll and /auth/mfa/confirm, for a few minutes."
            ),
        }


PROBLEM = "application/problem+json"
_REF = {"$ref": "#/components/schemas/Problem"}
PROBLEM_SCHEMAS: dict[str, Any] = {
    "Problem": {
        "type": "object",
        "description": "RFC 9457 problem details. `code` is stable; match on it, not on text.",
        "required": ["type", "title", "status", "code"],
        "properties": {
            "type": {"type": "string", "example": "urn:referral-hub:problem:validation_error"},
            "title": {"type": "string"},
            "status": {"type": "integer", "minimum": 400, "maximum": 599},
            "code": {"type": "string", "example": "validation_error"},
            "detail": {"type": "string"},
            "request_id": {"type": "string", "description": "The X-Request-ID of the request."},
            "errors": {"type": "array", "items": {"$ref": "#/components/schemas/ProblemError"}},
        },
        "additionalProperties": True,
    },
    "ProblemError": {
        "type": "object",
        "required": ["field", "message", "code"],
        "properties": {
            "field": {"type": "string", "description": "Dotted path; empty for the whole body."},
            "message": {"type": "string"},
            "code": {"type": "string", "example": "invalid_choice"},
            "allowed": {
                "type": "array",
                "items": {"type": "string"},
                "description": "The values accepted (on `invalid_choice`).",
            },
            "did_you_mean": {
                "type": "string",
                "description": "The known field an `unknown_field` most likely meant.",
            },
        },
        "additionalProperties": True,
    },
}
_RESPONSES: dict[str, tuple[str, str]] = {
    "400": ("BadRequest", "Invalid body, query or cursor (`errors[]` names each field)."),
    "401": ("Unauthorized", "No, another-scheme, expired, invalid or revoked credentials."),
    "403": ("Forbidden", "Your role or scopes do not allow this."),
    "404": ("NotFound", "Missing, or not yours: the two look the same."),
    "409": ("Conflict", "The resource's state does not allow it."),
    "413": ("PayloadTooLarge", "The body is over the size limit."),
    "415": ("UnsupportedMediaType", "Send `Content-Type: application/json`."),
    "422": ("IdempotencyKeyReused", "The same `Idempotency-Key` with a different body."),
    "429": ("TooManyRequests", "Slow down; retry after `Retry-After` seconds."),
    "default": ("Error", "Any other error (500 `internal_error` included), as a problem."),
}
_HEADERS = {
    "401": {"WWW-Authenticate": {"schema": {"type": "string"}, "description": "`Bearer`"}},
    "429": {"Retry-After": {"schema": {"type": "integer"}, "description": "Seconds to wait."}},
}
WRITES = {"post", "put", "patch", "delete"}


def _problem_response(status: str, name: str, description: str) -> dict[str, Any]:
    response: dict[str, Any] = {
        "description": description,
        "content": {PROBLEM: {"schema": _REF}},
    }
    if status in _HEADERS:
        response["headers"] = _HEADERS[status]
    example = EXAMPLES_PROBLEM.get(status)
    if example:
        response["content"][PROBLEM]["examples"] = {name: {"value": example}}
    return response


def error_statuses(path: str, method: str, operation: dict[str, Any]) -> list[str]:
    """The error statuses an operation documents, from what it takes and who may call it."""
    params = operation.get("parameters", [])
    has_body = "requestBody" in operation
    statuses = ["401", "429", "default"]
    if has_body or any(p["in"] == "query" for p in params):
        statuses.append("400")
    if operation.get("security"):
        statuses.append("403")
    if "{" in path:
        statuses.append("404")
    if method in WRITES:
        statuses.append("409")
    if has_body:
        statuses += ["413", "415"]
    if any(p["in"] == "header" and p["name"] == "Idempotency-Key" for p in params):
        statuses.append("422")
    return sorted(statuses, key=lambda s: (s == "default", s))


def _default_refused(node: dict[str, Any]) -> bool:
    default = node["default"]
    if not isinstance(default, str):
        return False
    pattern = node.get("pattern")
    return bool(
        (isinstance(pattern, str) and not re.search(pattern, default))
        or len(default) < node.get("minLength", 0)
        or ("enum" in node and default not in node["enum"])
    )


def _drop_contradicting_defaults(node: Any) -> None:
    """A `default` its own rules refuse (`''` against `^[0-9a-f]{64}$` or `minLength: 1`) goes:
    the server fills it in, and a client must not send it."""
    if isinstance(node, dict):
        if "default" in node and _default_refused(node):
            del node["default"]
        for value in node.values():
            _drop_contradicting_defaults(value)
    elif isinstance(node, list):
        for value in node:
            _drop_contradicting_defaults(value)


def _links(paths: dict[str, Any]) -> None:
    """Each create (201 with an `id`) links to the read of what it made, and its sub-routes."""
    for path, item in paths.items():
        created = item.get("post", {}).get("responses", {}).get("201")
        if not created:
            continue
        for other, other_item in paths.items():
            match = re.fullmatch(re.escape(path) + r"/\{(\w+)\}(/[\w-]+)?", other)
            if not match or "get" not in other_item:
                continue
            param = match.group(1)
            target = other_item["get"]["operationId"]
            link = {"operationId": target, "parameters": {param: "$response.body#/id"}}
            for name in re.findall(r"\{(\w+)\}", path):  # the create's own path ids carry on
                link["parameters"][name] = f"$request.path.{name}"
            created.setdefault("links", {})[target] = link
        if path in ELSEWHERE and ELSEWHERE[path][0] in _operation_ids(paths):
            target, param = ELSEWHERE[path]
            link = {"operationId": target, "parameters": {param: "$response.body#/id"}}
            created.setdefault("links", {})[target] = link


# Creates whose read lives under another collection.
ELSEWHERE = {"/api/v1/clients/{client_id}/consents": ("consents_retrieve", "consent_id")}


def _operation_ids(paths: dict[str, Any]) -> set[str]:
    return {op.get("operationId", "") for item in paths.values() for op in item.values()}


def postprocess_contract(
    result: dict[str, Any], generator: Any, request: Any, public: bool
) -> dict[str, Any]:
    """Problem component, error responses on every operation, examples, links."""
    components = result.setdefault("components", {})
    components.setdefault("schemas", {}).update(PROBLEM_SCHEMAS)
    responses = components.setdefault("responses", {})
    for status, (name, description) in _RESPONSES.items():
        responses[name] = _problem_response(status, name, description)
    for path, item in result.get("paths", {}).items():
        for method, operation in item.items():
            if method not in {"get", "post", "put", "patch", "delete"}:
                continue
            documented = operation.setdefault("responses", {})
            for status in error_statuses(path, method, operation):
                ref = {"$ref": f"#/components/responses/{_RESPONSES[status][0]}"}
                documented.setdefault(status, ref)
            _examples(operation)
    _links(result.get("paths", {}))
    _drop_contradicting_defaults(result)
    _nullable_refs(result)
    return result


NULL_ONLY = {"type": "object", "nullable": True, "enum": [None]}


def _nullable_refs(node: Any) -> None:
    """`{allOf: [$ref], nullable: true}` means "never null" under OpenAPI 3.0.3 (nullable only
    qualifies a `type` beside it), so validators refuse the nulls we send. Say it as
    `anyOf: [$ref, null]` instead."""
    if isinstance(node, dict):
        all_of = node.get("allOf")
        if node.get("nullable") is True and isinstance(all_of, list) and len(all_of) == 1:
            del node["allOf"], node["nullable"]
            node["anyOf"] = [all_of[0], dict(NULL_ONLY)]
        for value in node.values():
            _nullable_refs(value)
    elif isinstance(node, list):
        for value in node:
            _nullable_refs(value)


def _examples(operation: dict[str, Any]) -> None:
    example = EXAMPLES_REQUEST.get(operation.get("operationId", ""))
    content = operation.get("requestBody", {}).get("content", {}).get("application/json")
    if example and content is not None:
        content["examples"] = {"example": {"value": example}}


EXAMPLES_PROBLEM: dict[str, dict[str, Any]] = {
    "400": {
        "type": "urn:referral-hub:problem:validation_error",
        "title": "The request body is not valid.",
        "status": 400,
        "code": "validation_error",
        "detail": "2 field errors.",
        "request_id": "5f0c2b7e9a4d4c0f8e1a2b3c4d5e6f70",
        "errors": [
            {
                "field": "purpose",
                "message": '"spaceflight" is not a valid choice. Allowed: housing, legal, ....',
                "code": "invalid_choice",
                "allowed": ["housing", "legal"],
            },
            {
                "field": "recipient_agency",
                "message": "Unknown field.",
                "code": "unknown_field",
                "did_you_mean": "recipient_agency_id",
            },
        ],
    },
    "401": {
        "type": "urn:referral-hub:problem:token_expired",
        "title": "The access token has expired.",
        "status": 401,
        "code": "token_expired",
        "detail": "The access token has expired.",
        "request_id": "5f0c2b7e9a4d4c0f8e1a2b3c4d5e6f70",
    },
    "404": {
        "type": "urn:referral-hub:problem:not_found",
        "title": "Not found.",
        "status": 404,
        "code": "not_found",
        "request_id": "5f0c2b7e9a4d4c0f8e1a2b3c4d5e6f70",
    },
    "429": {
        "type": "urn:referral-hub:problem:too_many_requests",
        "title": "Request was throttled. Expected available in 12 seconds.",
        "status": 429,
        "code": "too_many_requests",
        "request_id": "5f0c2b7e9a4d4c0f8e1a2b3c4d5e6f70",
    },
}
EXAMPLES_REQUEST: dict[str, dict[str, Any]] = {
    "auth_token_create": {"username": "alice", "password": "correct horse battery staple"},
    "auth_client_token_create": {"client_id": "int_2f6c...", "client_secret": "rhs_..."},
    "clients_create": {
        "identity": {"given_name": "Ana", "family_name": "Núñez", "date_of_birth": "1990-01-01"},
        "contact": {"phone": "555-0100", "safe_contact_instructions": "Text only."},
    },
    "clients_consents_create": {
        "recipient_agency_id": "7b0e3a52-4f1d-4c39-9d0e-2a8f1c6b5d44",
        "categories": ["identity", "contact"],
        "purpose": "housing",
        "expires_at": "2027-06-01T00:00:00Z",
        "method": "written",
        "signed_by": "client",
        "informed": True,
    },
    "referrals_create": {
        "client": "3c9a7f0e-8b2d-4e61-a5f4-0d9e8c7b6a51",
        "recipient_agency": "7b0e3a52-4f1d-4c39-9d0e-2a8f1c6b5d44",
        "consent": "e1d2c3b4-a596-4877-8899-aabbccddeeff",
        "service_type": "shelter",
        "reason": "Needs a bed this week.",
    },
    "referrals_transitions_create": {"to": "accepted", "reason": "We have a bed.", "version": 1},
    "webhooks_create": {
        "url": "https://partner.example/hooks/referral-hub",
        "event_types": ["referral.requested", "referral.status_changed"],
    },
}
