"""Stateful fuzzing: schemathesis follows the schema's links from each create to its reads.

`api/schema.py` links every create (201 with an `id`) to the operations that read what it made
(`POST /clients` -> `GET /clients/{client_id}`, its consents and disclosures; `POST /referrals`
-> detail, history, messages, FHIR; staff users, webhooks; a client's consent -> the consent).
The state machine chains them with generated data, each call authenticated as the persona its
route is for. Checks: no 5xx, documented bodies match the schema, errors are problem+json.
`make test` runs a small derandomised sample; `make fuzz` runs FUZZ_EXAMPLES scenarios.
"""

from __future__ import annotations

from hypothesis import HealthCheck, Phase
from hypothesis import settings as hypothesis_settings
from schemathesis.checks import not_a_server_error, response_schema_conformance

from tests.conftest import access_token_for
from tests.security.test_fuzz import (  # the same schema, app and personas as the stateless run
    BOUNDED,
    EXAMPLES,
    _persona,
    schema,
    status_is_expected,
    unthrottled,  # noqa: F401 (fixture)
    wsgi_keeps_the_test_connection,  # noqa: F401 (fixture)
)
from tests.security.world import World

StateMachine = schema.as_state_machine()


class _SourceBundles(dict):  # type: ignore[type-arg]
    """schemathesis 3.39 reads hypothesis' own `self.bundles` to decide whether links are
    pending, counting its `catch_all` bundle too: after one non-201 create nothing could run.
    Hide `catch_all` from that check (hypothesis itself indexes by name and is unaffected)."""

    def values(self):  # type: ignore[no-untyped-def, override]
        return [v for k, v in self.items() if k != "catch_all"]


def _links() -> int:
    raw = schema.raw_schema["paths"]
    return sum(
        len(response.get("links", {}))
        for item in raw.values()
        for operation in item.values()
        if isinstance(operation, dict)
        for response in operation.get("responses", {}).values()
    )


def test_the_schema_has_links_to_follow():
    assert _links() >= 10, "api/schema.py should link each create to its reads"


def test_stateful_fuzz(world: World, unthrottled, wsgi_keeps_the_test_connection) -> None:  # noqa: F811  # type: ignore[no-untyped-def]
    tokens: dict[str, str] = {}

    class Workflow(StateMachine):  # type: ignore[misc, valid-type]
        def __init__(self) -> None:
            super().__init__()
            self.bundles = _SourceBundles(self.bundles)

        def before_call(self, case):  # type: ignore[no-untyped-def]
            who = _persona(world, case.operation.path, case.method)
            headers = dict(case.headers or {})
            headers.pop("Authorization", None)
            if who is not None:
                key = str(who.pk)
                tokens.setdefault(key, access_token_for(who))
                headers["Authorization"] = f"Bearer {tokens[key]}"
            case.headers = headers

        def validate_response(self, response, case, additional_checks=()):  # type: ignore[no-untyped-def]
            case.validate_response(
                response,
                checks=(not_a_server_error, response_schema_conformance, status_is_expected),
            )

    Workflow.run(
        settings=hypothesis_settings(
            max_examples=EXAMPLES or 3,
            stateful_step_count=12 if not BOUNDED else 5,
            deadline=None,
            derandomize=BOUNDED,
            database=None,
            phases=[Phase.generate],
            suppress_health_check=list(HealthCheck),
        )
    )
