"""The OpenAPI schema generates without warnings and documents every route."""

from __future__ import annotations

import pytest
from django.core.management import call_command


@pytest.mark.django_db
def test_schema_validates_without_warnings(tmp_path):
    out = tmp_path / "schema.yaml"
    # --fail-on-warn turns every drf-spectacular warning into an error; --validate checks OpenAPI 3.
    call_command("spectacular", "--file", str(out), "--validate", "--fail-on-warn")
    text = out.read_text()
    assert "openapi: 3" in text
    assert "/api/v1/me" in text and "/api/v1/agencies" in text


def test_schema_and_docs_are_served(anon):
    schema = anon.get("/api/schema?format=json")
    assert schema.status_code == 200
    assert schema.json()["info"]["title"] == "referral-hub API"
    assert "Idempotency-Key" in str(schema.json()["paths"])
    docs = anon.get("/api/docs")
    assert docs.status_code == 200 and b"swagger" in docs.content.lower()
