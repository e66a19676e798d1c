"""Property-based API fuzzing with schemathesis, in-process against our own OpenAPI schema.

Every operation of the schema is called with generated valid and invalid input (headers, query,
body), authenticated as the persona the route is for (tests/security/test_tenant_matrix.py TABLE;
a caseworker by default), with the path naming agency A's real objects. Checks per response:

* never a 5xx (`not_a_server_error`);
* a documented status answers with a body matching its schema (`response_schema_conformance`);
* a success status is one the schema documents; an error is one of the statuses the API uses,
  as RFC 9457 problem+json with a stable `code`.

`make test` runs a small deterministic sample (`derandomize`); `make fuzz` raises
`FUZZ_EXAMPLES` and draws fresh examples. A second test posts an unknown field to every
operation that takes a JSON body and expects a 400 naming that field.
"""

from __future__ import annotations

import json
import os
import re
import uuid
from typing import Any

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from django.urls import resolve
from drf_spectacular.generators import SchemaGenerator
from hypothesis import HealthCheck, Phase
from hypothesis import settings as hypothesis_settings
from schemathesis import DataGenerationMethod
from schemathesis.checks import not_a_server_error, response_schema_conformance

from tests.conftest import PASSWORD, access_token_for
from tests.security.test_tenant_matrix import TABLE
from tests.security.world import World

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "0") or 0)
BOUNDED = EXAMPLES == 0  # the `make test` run: small and deterministic

RAW = json.loads(json.dumps(SchemaGenerator().get_schema(request=None, public=True), default=str))
schema = schemathesis.from_dict(
    RAW,
    app=get_wsgi_application(),
    data_generation_methods=[DataGenerationMethod.positive, DataGenerationMethod.negative],
)

# Statuses an error may carry (DESIGN §7, api/errors.py); anything else is a finding.
ERROR_STATUSES = {400, 401, 403, 404, 405, 406, 409, 412, 413, 415, 422, 428, 429}
PATH_IDS = {
    "client_id": "client",
    "consent_id": "consent",
    "referral_id": "referral",
    "subscription_id": "subscription",
    "delivery_id": "delivery",
    "agency_id": "agency",
    "program_id": "program",
    "user_id": "staff",
    "family_id": "staff_family",
    "integration_id": "integration",
}


def _rule_for(path: str, method: str) -> Any:
    concrete = re.sub(r"\{\w+\}", str(uuid.uuid4()), path)
    return TABLE[(resolve(concrete).url_name or path, method.lower())]


def _persona(world: World, path: str, method: str) -> Any:
    """The user the route is for (None for the sign-in routes, which take no token)."""
    rule = _rule_for(path, method)
    if rule.kind == "open":
        return None
    if rule.ok is None or rule.ok[1] == "full":
        return world.a.users[rule.roles[0] if rule.roles else "caseworker"]
    tenant, role = rule.ok
    return getattr(world, tenant).users[role]


def status_is_expected(response: Any, case: Any) -> None:
    """2xx only as documented; errors only from the API's set, as problem+json with a code."""
    status = response.status_code
    documented = {str(code) for code in case.operation.definition.raw.get("responses", {})}
    if 200 <= status < 300:
        assert str(status) in documented, f"undocumented success status {status}"
        return
    assert status in ERROR_STATUSES, f"unexpected status {status}"
    assert response.headers.get("Content-Type", "").startswith("application/problem+json"), (
        f"{status} is not problem+json"
    )
    body = json.loads(response.content if hasattr(response, "content") else response.data)
    assert body.get("status") == status and body.get("code"), body


settings_profile = hypothesis_settings(
    max_examples=EXAMPLES or 6,
    deadline=None,
    derandomize=BOUNDED,
    database=None,
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=list(HealthCheck),
)


@pytest.fixture
def unthrottled(settings):  # type: ignore[no-untyped-def]
    settings.THROTTLE_ACTOR_RATE = settings.THROTTLE_ANON_RATE = "100000/min"


@pytest.fixture
def wsgi_keeps_the_test_connection():  # type: ignore[no-untyped-def]
    """Calling the WSGI app directly would close the test's connection after each request
    (Django's test client disconnects the same handlers)."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@schema.parametrize()
@settings_profile
def test_api_fuzz(case, world: World, unthrottled, wsgi_keeps_the_test_connection) -> None:  # type: ignore[no-untyped-def]
    ids = world.ids
    if case.path_parameters:
        case.path_parameters = {k: ids[PATH_IDS[k]] for k in case.path_parameters}
    who = _persona(world, case.operation.path, case.method)
    headers = dict(case.headers or {})
    headers.pop("Authorization", None)
    if who is not None:
        headers["Authorization"] = f"Bearer {access_token_for(who)}"
    case.headers = headers
    response = case.call()
    case.validate_response(
        response,
        checks=(not_a_server_error, response_schema_conformance, status_is_expected),
    )


# --- unknown fields ------------------------------------------------------------------------------
def _json_body_operations() -> list[tuple[str, str]]:
    found = []
    for path, item in RAW["paths"].items():
        for method, op in item.items():
            content = (op.get("requestBody") or {}).get("content", {})
            if "application/json" in content:
                found.append((path, method))
    return found


BODY_OPERATIONS = _json_body_operations()


def test_unknown_fields_are_rejected_everywhere(world: World, unthrottled) -> None:  # type: ignore[no-untyped-def]
    from rest_framework.test import APIClient

    assert len(BODY_OPERATIONS) >= 20
    checked = []
    for path, method in BODY_OPERATIONS:
        rule = _rule_for(path, method)
        url = re.sub(r"\{(\w+)\}", lambda m: world.ids[PATH_IDS[m.group(1)]], path)
        body = dict(rule.body(world, world.ids) or {})
        body["zz_not_a_field"] = "x"
        client = APIClient()
        who = _persona(world, path, method)
        if who is not None:
            client.credentials(HTTP_AUTHORIZATION=f"Bearer {access_token_for(who)}")
        response = getattr(client, method)(url, body, format="json")
        assert response.status_code == 400, (method, path, response.status_code, response.content)
        errors = response.json()["errors"]
        assert {
            "field": "zz_not_a_field",
            "message": "Unknown field.",
            "code": "unknown_field",
        } in (errors), (method, path, errors)
        checked.append((method, path))
    assert len(checked) == len(BODY_OPERATIONS)


def test_unknown_nested_fields_are_rejected(world: World) -> None:
    from tests.security.world import bearer

    body = {"identity": {"given_name": "A", "family_name": "B", "zz_nested": 1}}
    response = bearer(world.a.users["caseworker"]).post("/api/v1/clients", body, format="json")
    assert response.status_code == 400
    assert [e["field"] for e in response.json()["errors"]] == ["identity.zz_nested"]


# --- regressions: what the fuzzer found (each was a 500 or a schema mismatch) ------------------
def test_a_non_ascii_totp_code_is_refused_not_a_crash(world: World) -> None:
    from tests.security.world import bearer

    alice = bearer(world.a.users["caseworker"])
    enroll = alice.post("/api/v1/auth/mfa/enroll", {"password": PASSWORD}, format="json")
    assert enroll.status_code == 200
    response = alice.post("/api/v1/auth/mfa/confirm", {"code": "\u00c7\u00d8i"}, format="json")
    assert 400 <= response.status_code < 500, response.content
    login = {"username": "alice", "password": "x" * 12, "otp": "\u00e9\u00e9"}
    assert 400 <= alice.post("/api/v1/auth/token", login, format="json").status_code < 500


def test_an_idempotency_key_with_a_nul_byte_is_a_400(world: World) -> None:
    from tests.security.world import bearer

    body = {"identity": {"given_name": "A", "family_name": "B"}}
    response = bearer(world.a.users["caseworker"]).post(
        "/api/v1/clients", body, format="json", HTTP_IDEMPOTENCY_KEY="a\x00b"
    )
    assert response.status_code == 400, response.content


def test_a_recipient_reading_a_consent_matches_the_documented_schema(world: World) -> None:
    """The recipient gets no free text: the schema must not promise `purpose_detail`."""
    from tests.security.world import bearer

    response = bearer(world.b.users["caseworker"]).get(f"/api/v1/consents/{world.ids['consent']}")
    assert response.status_code == 200
    assert "purpose_detail" not in response.json()
    component = RAW["components"]["schemas"]["ConsentDetailOutput"]
    assert "purpose_detail" not in component.get("required", [])
