"""API conventions every endpoint inherits: 401 without a token, problem+json, strict input."""

from __future__ import annotations

import re
import uuid

import pytest
from django.urls import URLPattern, URLResolver, get_resolver

OPEN_ROUTES = {
    # Endpoints that authenticate by their body (credentials or refresh token) or are public.
    "auth/token",
    "auth/token/refresh",
    "auth/token/revoke",
    "auth/client-token",
    "auth/password/set",
}


def _walk(patterns, prefix=""):  # type: ignore[no-untyped-def]
    for p in patterns:
        if isinstance(p, URLResolver):
            yield from _walk(p.url_patterns, prefix + str(p.pattern))
        elif isinstance(p, URLPattern):
            yield prefix + str(p.pattern), p


def _concrete(route: str) -> str:
    return "/" + re.sub(r"<(?:\w+:)?\w+>", str(uuid.uuid4()), route).lstrip("^").rstrip("$")


def api_routes() -> list[tuple[str, URLPattern]]:
    return [(r, p) for r, p in _walk(get_resolver().url_patterns) if r.startswith("api/v1/")]


def _methods(pattern: URLPattern) -> list[str]:
    view = getattr(pattern.callback, "view_class", None)
    names = ["get", "post", "put", "patch", "delete"]
    return [m for m in names if view is not None and hasattr(view, m)]


@pytest.mark.django_db
def test_every_api_route_answers_401_without_a_token(anon):
    checked = 0
    for route, pattern in api_routes():
        if route.removeprefix("api/v1/") in OPEN_ROUTES:
            continue
        for method in _methods(pattern):
            response = getattr(anon, method)(_concrete(route), {}, format="json")
            assert response.status_code == 401, (
                f"{method.upper()} {route} -> {response.status_code}"
            )
            assert response["Content-Type"] == "application/problem+json"
            assert response.headers.get("WWW-Authenticate", "").startswith("Bearer")
            checked += 1
    assert checked >= 5, "the resolver walk found too few routes; is api/urls.py wired?"


@pytest.mark.django_db
def test_open_routes_refuse_missing_credentials_with_400(anon):
    for route in OPEN_ROUTES:
        response = anon.post(f"/api/v1/{route}", {}, format="json")
        assert response.status_code == 400, route
        assert response.json()["code"] == "validation_error"


def test_problem_body_has_the_rfc9457_shape(api, alice):
    response = api(alice).get(f"/api/v1/agencies/{uuid.uuid4()}")
    assert response.status_code == 404
    assert response["Content-Type"] == "application/problem+json"
    body = response.json()
    assert body["type"] == "urn:referral-hub:problem:not_found"
    assert body["status"] == 404 and body["code"] == "not_found" and body["title"]
    assert body["request_id"] == response["X-Request-ID"]


def test_unknown_input_fields_are_rejected(anon, alice):
    response = anon.post(
        "/api/v1/auth/token",
        {"username": "alice", "password": "x", "is_admin": True},
        format="json",
    )
    assert response.status_code == 400
    assert {
        "field": "is_admin",
        "message": "Unknown field.",
        "code": "unknown_field",
    } in response.json()["errors"]


def test_malformed_json_is_a_400_problem(anon):
    response = anon.generic(
        "POST", "/api/v1/auth/token", "{not json", content_type="application/json"
    )
    assert response.status_code == 400
    assert response.json()["code"] == "malformed_request"


def test_request_id_is_echoed_when_well_formed_and_replaced_when_not(anon):
    ok = anon.get("/healthz", HTTP_X_REQUEST_ID="partner-abc.123")
    assert ok["X-Request-ID"] == "partner-abc.123"
    bad = anon.get("/healthz", HTTP_X_REQUEST_ID="<script>" * 3)
    assert re.fullmatch(r"[0-9a-f]{32}", bad["X-Request-ID"])


def test_oversized_bodies_are_refused_with_413(anon, settings):
    body = "x" * (settings.REQUEST_MAX_BYTES + 1)
    response = anon.generic("POST", "/api/v1/auth/token", body, content_type="application/json")
    assert response.status_code == 413
    assert response.json()["code"] == "payload_too_large"


def test_security_headers_are_set(api, alice):
    response = api(alice).get("/api/v1/me")
    assert response["Cache-Control"] == "no-store"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["X-Frame-Options"] == "DENY"
    assert "default-src 'none'" in response["Content-Security-Policy"]


def test_unknown_api_path_is_a_problem_404(api, alice):
    response = api(alice).get("/api/v1/no-such-thing")
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"
