"""One naming convention over the whole OpenAPI schema (docs/partner-guide.md, "Conventions").

- names are snake_case (properties and query/path parameters);
- a reference to another resource is `<thing>_id`, in requests and responses alike; a nested
  `{id, name}` object is only an additional, read-only companion of its `<thing>_id`;
- no two properties say the same thing (`status` and `state`; `x_name` beside `x_id`);
- our vocabularies are snake_case (event types and scopes: snake_case segments joined by `.`
  or `:`); FHIR codes stay as FHIR spells them (`in-progress`), listed in `FHIR_ENUMS`.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from drf_spectacular.generators import SchemaGenerator

SNAKE = re.compile(r"^[a-z][a-z0-9]*(_[a-z0-9]+)*$")
SEGMENTED = re.compile(r"^[a-z0-9]+(_[a-z0-9]+)*([.:][a-z0-9]+(_[a-z0-9]+)*)*$")
# Enums whose values are FHIR codes (FHIR R4 Task.status), spelled as FHIR spells them.
FHIR_ENUMS = {"ReferralStatusEnum"}
# Resources a property could name without `_id` (a bare uuid string is caught anyway).
RESOURCES = {
    "actor",
    "agency",
    "assignee",
    "client",
    "consent",
    "delivery",
    "integration",
    "program",
    "recipient_agency",
    "referral",
    "sender_agency",
    "subscription",
    "user",
}
SYNONYMS = [{"status", "state"}]


@pytest.fixture(scope="module")
def schema() -> dict[str, Any]:
    return SchemaGenerator().get_schema(request=None, public=True)  # type: ignore[no-any-return]


def _target(schema: dict[str, Any], prop: dict[str, Any]) -> dict[str, Any]:
    """The schema a property points at ($ref directly, or through allOf/oneOf)."""
    for key in ("allOf", "oneOf", "anyOf"):
        for option in prop.get(key, []):
            if "$ref" in option:
                prop = option
                break
    ref = prop.get("$ref")
    if ref:
        return schema["components"]["schemas"][ref.rsplit("/", 1)[-1]]  # type: ignore[no-any-return]
    return prop


def _objects(schema: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    for name, component in schema["components"]["schemas"].items():
        if component.get("type") == "object" or "properties" in component:
            yield name, component.get("properties", {})


def _parameters(schema: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            for parameter in operation.get("parameters", []):
                if parameter["in"] in ("query", "path"):
                    yield f"{method.upper()} {path} ?{parameter['name']}", parameter


def test_every_property_and_parameter_is_snake_case(schema):
    bad = [f"{c}.{p}" for c, props in _objects(schema) for p in props if not SNAKE.match(p)]
    bad += [where for where, p in _parameters(schema) if not SNAKE.match(p["name"])]
    assert not bad, f"not snake_case: {bad}"


def test_every_reference_ends_in_id(schema):
    """A uuid (or a resource's bare name) that is not the object's own `id` is `<thing>_id`."""
    bad = []
    for component, props in _objects(schema):
        for name, prop in props.items():
            target = _target(schema, prop)
            if name == "id" or name.endswith("_id"):
                continue
            if target.get("format") == "uuid" or (
                name in RESOURCES and target.get("type") == "string"
            ):
                bad.append(f"{component}.{name}")
    for where, parameter in _parameters(schema):
        name, fmt = parameter["name"], parameter.get("schema", {}).get("format")
        if not name.endswith("_id") and (fmt == "uuid" or name in RESOURCES):
            bad.append(where)
    assert not bad, f"references must be named <thing>_id: {bad}"


def test_nested_references_are_read_only_companions_of_their_id(schema):
    """`recipient_agency: {id, name}` only beside `recipient_agency_id`, and never in a request."""
    missing, in_requests = [], []
    for component, props in _objects(schema):
        for name, prop in props.items():
            if "id" not in _target(schema, prop).get("properties", {}):
                continue
            if component.endswith("Request"):
                in_requests.append(f"{component}.{name}")
            elif f"{name}_id" not in props:
                missing.append(f"{component}.{name} (add {name}_id)")
    assert not in_requests, f"requests take <thing>_id, not nested objects: {in_requests}"
    assert not missing, f"a nested reference needs its <thing>_id beside it: {missing}"


def test_no_two_properties_say_the_same_thing(schema):
    bad = []
    for component, props in _objects(schema):
        for name in props:
            stem = name.removesuffix("_name")
            if name != stem and (f"{stem}_id" in props or stem in props):
                bad.append(f"{component}.{name} (use {stem}: {{id, name}})")
        bad += [f"{component}: {sorted(group)}" for group in SYNONYMS if group <= set(props)]
    assert not bad, f"one property per fact: {bad}"


def test_our_vocabularies_are_snake_case_and_fhir_codes_stay_fhir(schema):
    bad = []
    for name, component in schema["components"]["schemas"].items():
        if "enum" not in component or name in FHIR_ENUMS:
            continue
        values = [v for v in component["enum"] if v not in ("", None, "*")]
        bad += [f"{name}: {v!r}" for v in values if not SEGMENTED.match(str(v))]
    assert not bad, f"enum values are snake_case (FHIR ones listed in FHIR_ENUMS): {bad}"
    fhir = schema["components"]["schemas"]["ReferralStatusEnum"]["enum"]
    assert "in-progress" in fhir and "entered-in-error" in fhir, "FHIR Task.status codes"
