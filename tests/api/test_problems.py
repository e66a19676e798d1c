"""Every error under /api/ is problem+json (issue 15 item 2): routing, methods, media types,
sizes, throttles, cursors, depth, surprises; and the errors say what to do (item 3)."""

from __future__ import annotations

import json
import uuid
from datetime import timedelta

import pytest
from rest_framework_simplejwt.tokens import AccessToken

from accounts.models import TokenFamily

PROBLEM = "application/problem+json"


def _problem(response, status: int, code: str) -> dict:  # type: ignore[no-untyped-def]
    assert response.status_code == status, response.content
    assert response["Content-Type"] == PROBLEM, response["Content-Type"]
    body = json.loads(response.content)
    assert body["status"] == status and body["code"] == code, body
    assert body["request_id"] == response["X-Request-ID"], "every problem carries request_id"
    return body


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/no-such-thing",
        "/api/v1",
        "/api/v1/",
        "/api/",
        "/api/v2/referrals",
        "/api/v1/clients/search/",
        "/api/v1/clients/not-a-uuid",
    ],
)
def test_unknown_api_paths_are_problem_404s_even_in_debug(settings, api, alice, path):
    settings.DEBUG = True  # Django's debug 404 page must never show under /api/
    for method in ("get", "post", "delete"):
        _problem(getattr(api(alice), method)(path), 404, "not_found")


def test_a_trailing_slash_says_which_path_to_use(api, alice):
    body = _problem(api(alice).post("/api/v1/referrals/", {}, format="json"), 404, "not_found")
    assert body["detail"] == "Paths have no trailing slash: use /api/v1/referrals."


def test_a_path_id_that_is_not_a_uuid_says_so(api, alice):
    body = _problem(api(alice).get("/api/v1/referrals/12345/history"), 404, "not_found")
    assert body["detail"] == "An id in this path is not a UUID."
    assert "12345" not in json.dumps(body)


def test_the_root_is_a_json_index_not_a_debug_page(settings, anon):
    settings.DEBUG = True
    response = anon.get("/")
    assert response.status_code == 200 and response["Content-Type"] == "application/json"
    assert response.json()["api"] == "/api/v1" and response.json()["docs"] == "/api/docs"


def test_method_not_allowed_is_a_problem_with_allow(api, alice):
    response = api(alice).delete("/api/v1/me")
    _problem(response, 405, "method_not_allowed")
    assert "GET" in response["Allow"]


def test_not_acceptable_is_a_problem(api, alice):
    response = api(alice).get("/api/v1/me", HTTP_ACCEPT="text/html")
    _problem(response, 406, "not_acceptable")


def test_unsupported_media_type_is_a_problem(anon):
    response = anon.generic("POST", "/api/v1/auth/token", "a=b", content_type="text/plain")
    _problem(response, 415, "unsupported_media_type")


def test_an_oversized_body_is_a_413_problem_with_request_id(anon, settings):
    body = "x" * (settings.REQUEST_MAX_BYTES + 1)
    response = anon.generic(
        "POST", "/api/v1/auth/token", body, content_type="application/json", HTTP_X_REQUEST_ID="r-1"
    )
    problem = _problem(response, 413, "payload_too_large")
    assert problem["request_id"] == "r-1" and str(settings.REQUEST_MAX_BYTES) in problem["detail"]


def test_throttled_calls_get_retry_after(api, alice, settings):
    settings.THROTTLE_ACTOR_RATE = "2/min"
    client = api(alice)
    for _ in range(2):
        assert client.get("/api/v1/me").status_code == 200
    response = client.get("/api/v1/me")
    _problem(response, 429, "too_many_requests")
    assert 1 <= int(response["Retry-After"]) <= 61


@pytest.mark.parametrize("depth", [33, 1000, 50_000])
def test_over_deep_json_is_a_400_too_deep(anon, depth):
    body = "[" * depth + "]" * depth
    response = anon.generic("POST", "/api/v1/auth/token", body, content_type="application/json")
    problem = _problem(response, 400, "too_deep")
    assert "32" in problem["detail"]


def test_brackets_inside_strings_do_not_count_toward_depth(anon):
    body = json.dumps({"username": "[" * 5000, "password": "{" * 5000})
    response = anon.generic("POST", "/api/v1/auth/token", body, content_type="application/json")
    assert response.status_code in (400, 401) and response.json()["code"] != "too_deep"


def test_nan_is_still_refused(anon):
    body = '{"username": "alice", "password": NaN}'
    response = anon.generic("POST", "/api/v1/auth/token", body, content_type="application/json")
    _problem(response, 400, "malformed_request")


def test_an_unexpected_error_is_a_problem_500_without_the_exception_text(
    settings, api, alice, monkeypatch
):
    from api.v1 import me

    settings.DEBUG = True

    def boom(*args, **kwargs):  # type: ignore[no-untyped-def]
        raise RuntimeError("secret detail: Ana Núñez")

    monkeypatch.setattr(me.MeApi, "get", boom)
    client = api(alice)
    client.raise_request_exception = False
    response = client.get("/api/v1/me")
    body = _problem(response, 500, "internal_error")
    assert "Ana" not in response.content.decode() and "Traceback" not in json.dumps(body)


def test_an_error_outside_drf_is_a_problem_500_in_debug(settings, anon, monkeypatch):
    """A failure in a middleware (no DRF handler around it) still answers problem+json."""
    from crypto import scope

    settings.DEBUG = True

    def boom(self, request):  # type: ignore[no-untyped-def]
        raise RuntimeError("middleware broke")

    monkeypatch.setattr(scope.KeyScopeMiddleware, "__call__", boom)
    from rest_framework.test import APIClient

    response = APIClient(raise_request_exception=False).get("/api/v1/me")
    assert response.status_code == 500 and response["Content-Type"] == PROBLEM
    assert response.json()["code"] == "internal_error"


# --- cursors -----------------------------------------------------------------------------------
@pytest.fixture
def two_pages(api, alice):  # type: ignore[no-untyped-def]
    client = api(alice)
    for n in range(3):
        identity = {"given_name": f"A{n}", "family_name": "B"}
        assert (
            client.post("/api/v1/clients", {"identity": identity}, format="json").status_code == 201
        )
    first = client.get("/api/v1/clients", {"page_size": 2}).json()
    assert first["next"]
    return client, first["next"]


def test_the_next_link_works(two_pages):
    client, next_url = two_pages
    assert len(client.get(next_url).json()["results"]) == 1


@pytest.mark.parametrize(
    "cursor",
    [
        "not-base64!",
        "cD0yMDI2LTAxLTAx",  # an unsigned DRF cursor: p=2026-01-01
        "cD1ub3QtYS1kYXRl",  # p=not-a-date: a 500 before cursors were signed
        "bz0tNQ==",  # o=-5
    ],
)
def test_bad_or_crafted_cursors_are_400(api, alice, cursor):
    body = _problem(api(alice).get("/api/v1/clients", {"cursor": cursor}), 400, "invalid_cursor")
    assert body["errors"][0]["field"] == "cursor"


def test_an_edited_cursor_is_400(two_pages):
    client, next_url = two_pages
    _problem(client.get(next_url.replace("cursor=", "cursor=x")), 400, "invalid_cursor")


def test_a_cursor_of_another_list_is_400(two_pages):
    client, next_url = two_pages
    cursor = next_url.split("cursor=")[1].split("&")[0]
    from urllib.parse import unquote

    response = client.get("/api/v1/referrals", {"cursor": unquote(cursor)})
    _problem(response, 400, "invalid_cursor")


# --- authentication: four distinct answers -----------------------------------------------------
def test_no_authorization_header_says_bearer_is_expected(anon):
    body = _problem(anon.get("/api/v1/me"), 401, "not_authenticated")
    assert "Bearer" in body["detail"]


@pytest.mark.parametrize("header", ["Token abc", "Basic YWxpY2U6eA==", "Bearer", "Bearer a b"])
def test_another_scheme_is_invalid_auth_scheme(anon, header):
    response = anon.get("/api/v1/me", HTTP_AUTHORIZATION=header)
    body = _problem(response, 401, "invalid_auth_scheme")
    assert "Bearer" in body["detail"] and response["WWW-Authenticate"].startswith("Bearer")


def test_an_expired_token_is_token_expired(anon, alice):
    family = TokenFamily.objects.create(id=uuid.uuid4(), user=alice)
    token = AccessToken()
    token["sub"], token["fam"], token["kind"] = str(alice.id), str(family.id), "user"
    token.set_exp(lifetime=-timedelta(seconds=5))
    response = anon.get("/api/v1/me", HTTP_AUTHORIZATION=f"Bearer {token}")
    body = _problem(response, 401, "token_expired")
    assert body["detail"] == "The access token has expired."


def test_a_garbage_token_is_token_invalid(anon):
    response = anon.get("/api/v1/me", HTTP_AUTHORIZATION="Bearer not.a.jwt")
    _problem(response, 401, "token_invalid")


def test_a_revoked_session_is_token_revoked(api, alice):
    client = api(alice)
    TokenFamily.objects.filter(user=alice).update(revoked_reason="signed_out")
    from django.utils import timezone

    TokenFamily.objects.filter(user=alice).update(revoked_at=timezone.now())
    _problem(client.get("/api/v1/me"), 401, "token_revoked")


# --- helpful field errors ---------------------------------------------------------------------
def test_invalid_choice_lists_the_allowed_values(api, alice):
    response = api(alice).get("/api/v1/referrals", {"box": "sideways"})
    body = _problem(response, 400, "validation_error")
    error = next(e for e in body["errors"] if e["field"] == "box")
    assert error["code"] == "invalid_choice" and "inbox" in error["allowed"]
    assert "Allowed: " in error["message"]


def test_every_field_error_comes_at_once_with_hints(api, alice):
    body = {
        "identity": {"given_name": "A", "family_name": "B", "givn_name": "x"},
        "demographics": {"household_size": 99},
        "contacts": {},
    }
    problem = _problem(
        api(alice).post("/api/v1/clients", body, format="json"), 400, "validation_error"
    )
    by_field = {e["field"]: e for e in problem["errors"]}
    assert by_field["contacts"]["code"] == "unknown_field"
    assert by_field["contacts"]["did_you_mean"] == "contact"
    assert by_field["identity.givn_name"]["did_you_mean"] == "given_name"
    assert by_field["demographics.household_size"]["code"] == "max_value"
    assert problem["detail"] == "3 field errors."


def test_a_field_without_a_near_miss_gets_no_guess(anon):
    body = {"username": "alice", "password": "x", "zz_not_a_field": 1}
    problem = _problem(
        anon.post("/api/v1/auth/token", body, format="json"), 400, "validation_error"
    )
    assert problem["errors"] == [
        {"field": "zz_not_a_field", "message": "Unknown field.", "code": "unknown_field"}
    ]
