"""The OpenAPI schema: generates without warnings, passes an independent validator, and holds
the contract's rules (one path style, error responses with the shared Problem component)."""

from __future__ import annotations

import json
import re

import pytest
from django.core.management import call_command
from drf_spectacular.generators import SchemaGenerator

METHODS = ("get", "post", "put", "patch", "delete")


@pytest.fixture(scope="module")
def schema():  # type: ignore[no-untyped-def]
    raw = SchemaGenerator().get_schema(request=None, public=True)
    return json.loads(json.dumps(raw, default=str))


def _operations(schema):  # type: ignore[no-untyped-def]
    for path, item in schema["paths"].items():
        for method in METHODS:
            if method in item:
                yield path, method, item[method]


@pytest.mark.django_db
def test_schema_validates_without_warnings(tmp_path):
    out = tmp_path / "schema.yaml"
    # --fail-on-warn turns every drf-spectacular warning into an error; --validate checks OpenAPI 3.
    call_command("spectacular", "--file", str(out), "--validate", "--fail-on-warn")
    text = out.read_text()
    assert "openapi: 3" in text
    assert "/api/v1/me:" in text and "/api/v1/agencies:" in text


def test_an_independent_validator_accepts_the_schema(schema):
    from openapi_spec_validator import validate

    validate(schema)  # raises with the offending pointer (e.g. a default its pattern refuses)


def test_no_path_ends_in_a_slash(schema):
    """One path style: no trailing slashes anywhere (docs/partner-guide.md, Conventions)."""
    slashed = [p for p in schema["paths"] if p.endswith("/")]
    assert not slashed, f"paths end in '/': {slashed}; drop the slash in api/urls.py"
    assert all(p.startswith("/api/v1/") for p in schema["paths"])


def test_path_segments_and_parameters_follow_the_naming_rules(schema):
    for path, _method, operation in _operations(schema):
        for segment in path.split("/")[1:]:
            assert re.fullmatch(r"[a-z0-9-]+|\{[a-z_]+_id\}", segment), (path, segment)
        for param in operation.get("parameters", []):
            if param["in"] == "path":
                assert param["schema"].get("format") == "uuid", (path, param["name"])
            if param["in"] == "query":
                assert re.fullmatch(r"[a-z][a-z0-9_]*", param["name"]), (path, param["name"])


def test_every_operation_documents_its_errors_with_the_problem_component(schema):
    responses = schema["components"]["responses"]
    problem = schema["components"]["schemas"]["Problem"]
    assert {"status", "code", "detail", "request_id", "errors"} <= set(problem["properties"])
    for path, method, operation in _operations(schema):
        documented = operation["responses"]
        errors = {s: r for s, r in documented.items() if s == "default" or s.startswith(("4", "5"))}
        assert {"401", "429", "default"} <= set(errors), (method, path, sorted(documented))
        if "{" in path:
            assert "404" in errors, (method, path)
        if "requestBody" in operation:
            assert {"400", "413", "415"} <= set(errors), (method, path)
        for status, response in errors.items():
            resolved = (
                responses[response["$ref"].rsplit("/", 1)[1]] if "$ref" in response else response
            )
            content = resolved["content"]
            assert list(content) == ["application/problem+json"], (method, path, status)
            assert content["application/problem+json"]["schema"] == {
                "$ref": "#/components/schemas/Problem"
            }, (method, path, status)
    assert responses["TooManyRequests"]["headers"]["Retry-After"]


def test_the_main_operations_have_examples(schema):
    ops = {op["operationId"]: op for _p, _m, op in _operations(schema)}
    for name in (
        "auth_token_create",
        "clients_create",
        "clients_consents_create",
        "referrals_create",
    ):
        content = ops[name]["requestBody"]["content"]["application/json"]
        assert content["examples"]["example"]["value"], name
    bad_request = schema["components"]["responses"]["BadRequest"]["content"]
    assert bad_request["application/problem+json"]["examples"]


def test_creates_link_to_their_reads(schema):
    links = schema["paths"]["/api/v1/referrals"]["post"]["responses"]["201"]["links"]
    assert links["referrals_retrieve"]["parameters"] == {"referral_id": "$response.body#/id"}
    consents = schema["paths"]["/api/v1/clients/{client_id}/consents"]["post"]["responses"]["201"]
    assert consents["links"]["consents_retrieve"]["parameters"] == {
        "consent_id": "$response.body#/id"
    }


def test_schema_and_docs_are_served(anon):
    schema = anon.get("/api/schema?format=json")
    assert schema.status_code == 200
    assert schema.json()["info"]["title"] == "referral-hub API"
    assert "Idempotency-Key" in str(schema.json()["paths"])


@pytest.mark.parametrize("page", ["/api/docs", "/api/redoc"])
def test_the_docs_pages_load_only_local_pinned_assets_under_a_self_only_csp(anon, page):
    response = anon.get(page)
    assert response.status_code == 200
    html = response.content.decode()
    csp = response["Content-Security-Policy"]
    assert "default-src 'self'" in csp and "script-src 'self';" in csp and "http" not in csp
    assert "unsafe-eval" not in csp and csp.count("unsafe-inline") == 1  # styles only
    assert "cdn" not in html.lower() and "https://" not in html
    assets = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert assets, html
    for asset in assets:
        if asset.startswith("/static/"):
            assert anon.get(asset).status_code == 200, asset
    assert "<script>" not in html.replace(" ", ""), "no inline script: the CSP forbids it"


def test_the_swagger_init_script_is_a_same_origin_request(anon):
    response = anon.get("/api/docs?script=")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/javascript")
    assert "/api/schema" in response.content.decode()
