"""`GET /api/v1/directory/hsds`: the directory as an Open Referral HSDS 3.0 `Page` of services.

No package on PyPI or npm ships the HSDS 3.0 JSON schemas (hsds-validator needs Python 3.13 and
takes the schema files as input; hsds-data-tool is HSDS 2's tabular format), so the schema below
is our own transcription of the HSDS 3.0 rules our export touches: the `Page` of the HSDS API
reference, and `service`, `organization`, `language`, `attribute` and `taxonomy_term` with their
required fields, types and formats. `additionalProperties: false` also proves we emit no field
HSDS does not define.
"""

from __future__ import annotations

from typing import Any

import jsonschema
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.factories import ProgramFactory

URL = "/api/v1/directory/hsds"
UUID = {"type": "string", "format": "uuid"}
STRING = {"type": "string"}


def _object(required: list[str], properties: dict[str, Any]) -> dict[str, Any]:
    return {
        "type": "object",
        "required": required,
        "properties": properties,
        "additionalProperties": False,
    }


TAXONOMY_TERM = _object(
    ["id", "name", "description"],
    {"id": UUID, "code": STRING, "name": STRING, "description": STRING, "taxonomy": STRING},
)
ATTRIBUTE = _object(
    ["id"],
    {
        "id": UUID,
        "link_id": UUID,
        "link_type": STRING,
        "link_entity": STRING,
        "value": STRING,
        "taxonomy_term_id": UUID,
        "taxonomy_term": TAXONOMY_TERM,
    },
)
LANGUAGE = _object(["id"], {"id": UUID, "service_id": UUID, "name": STRING, "code": STRING})
ORGANIZATION = _object(
    ["id", "name", "description"], {"id": UUID, "name": STRING, "description": STRING}
)
SERVICE = _object(
    ["id", "name", "status"],
    {
        "id": UUID,
        "organization_id": UUID,
        "name": STRING,
        "description": STRING,
        "status": {"enum": ["active", "inactive", "defunct", "temporarily closed"]},
        "eligibility_description": STRING,
        "assured_date": {"type": "string", "format": "date"},
        "last_modified": {"type": "string", "format": "date-time"},
        "organization": ORGANIZATION,
        "languages": {"type": "array", "items": LANGUAGE},
        "attributes": {"type": "array", "items": ATTRIBUTE},
    },
)
PAGE = _object(
    ["empty"],
    {
        "total_items": {"type": "integer"},
        "total_pages": {"type": "integer"},
        "page_number": {"type": "integer"},
        "size": {"type": "integer"},
        "first_page": {"type": "boolean"},
        "last_page": {"type": "boolean"},
        "empty": {"type": "boolean"},
        "contents": {"type": "array", "items": SERVICE},
    },
)


def validate(body: dict[str, Any]) -> None:
    checker = jsonschema.Draft202012Validator.FORMAT_CHECKER
    jsonschema.Draft202012Validator(PAGE, format_checker=checker).validate(body)


def test_the_export_is_hsds_shaped(api, carol, eastside, harbor, safehouse, northside):
    ProgramFactory(
        agency=northside, name="Advocacy", service_type="victim_advocacy", languages=["en", "fr"]
    )
    response = api(carol).get(URL)
    assert response.status_code == 200 and response["HSDS-Version"] == "3.0"
    body = response.json()
    validate(body)
    assert (body["total_items"], body["size"], body["empty"]) == (4, 4, False)
    shelter = next(s for s in body["contents"] if s["name"] == "Emergency Shelter")
    assert shelter["organization"]["name"] == "Safe Harbor Housing"
    terms = {
        a["taxonomy_term"]["taxonomy"]: a["taxonomy_term"]["code"] for a in shelter["attributes"]
    }
    assert terms == {
        "referral-hub service types": "shelter",
        "Open Eligibility": "human_services:housing:emergency_shelter",
        "referral-hub capacity status": "available",
    }
    advocacy = next(s for s in body["contents"] if s["name"] == "Advocacy")
    assert [lang["name"] for lang in advocacy["languages"]] == ["English", "French"]
    assert "victim service provider" in advocacy["organization"]["description"]


def test_a_wrong_export_fails_the_schema():
    bad = {"empty": False, "contents": [{"id": "not-a-uuid", "name": "X", "status": "open"}]}
    with pytest.raises(jsonschema.ValidationError):
        validate(bad)


def test_ids_are_stable_between_exports(api, carol, eastside):
    first, second = (api(carol).get(URL).json() for _ in range(2))
    assert first["contents"] == second["contents"]


def test_pages_and_query_count(api, carol, eastside):
    client = api(carol)
    with CaptureQueriesContext(connection) as few:
        client.get(f"{URL}?per_page=2")
    ProgramFactory.create_batch(4)  # six with Eastside's and Harbor's (carol's)
    with CaptureQueriesContext(connection) as many:
        body = client.get(f"{URL}?per_page=2&page=2").json()
    validate(body)
    assert len(many) == len(few)
    assert (body["total_items"], body["total_pages"], body["page_number"]) == (6, 3, 2)
    assert (body["first_page"], body["last_page"], body["size"]) == (False, False, 2)
    last = client.get(f"{URL}?per_page=2&page=3").json()
    assert last["last_page"] is True
    assert client.get(f"{URL}?per_page=500").status_code == 400
