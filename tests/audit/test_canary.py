"""The canary scanner finds planted values wherever they hide, and the foundation leaks none."""

from __future__ import annotations

import pytest

from audit.services import audit_record
from tests.audit.canary import assert_no_values_in_audit
from tests.conftest import PASSWORD, actor

CANARY = "Zyxwanda Qorvath-Ümlaut"


def test_it_catches_a_value_planted_in_a_reason(alice):
    audit_record(actor=actor(alice), action="test.leak", reason="Zyxwanda")
    with pytest.raises(AssertionError, match="leaked into audit row"):
        assert_no_values_in_audit(["zyxwanda"])


def test_it_catches_a_non_ascii_value_in_the_canonical_bytes(alice):
    event = audit_record(actor=actor(alice), action="test.leak", purpose=CANARY[:60])
    assert "Ü" not in bytes(event.canonical).decode()  # stored escaped: \u00dc
    with pytest.raises(AssertionError):
        assert_no_values_in_audit(["Qorvath-Ümlaut"])
    from audit.models import AuditEvent
    from tests.audit.canary import audit_rows_text

    at = [f.attname for f in AuditEvent._meta.concrete_fields].index("canonical")
    only_canonical = [t.split("\x1f")[at] for label, t in audit_rows_text() if "Event" in label]
    assert any("qorvath-\\u00dc" in t.casefold() for t in only_canonical)


def test_foundation_flows_leak_no_secrets(api, anon, alice, adam, erin):
    anon.post("/api/v1/auth/token", {"username": "alice", "password": PASSWORD}, format="json")
    anon.post("/api/v1/auth/token", {"username": "alice", "password": CANARY}, format="json")
    api(alice).get("/api/v1/me")
    api(alice).get("/api/v1/audit/events")
    api(erin).post("/api/v1/audit/exports", {}, format="json")
    assert_no_values_in_audit([PASSWORD, CANARY])
