"""Refused object access by an authenticated caller is audited as `authz.denied`."""

from __future__ import annotations

import json
import uuid

import pytest
from django.db import transaction

from audit.denials import audit_denied
from audit.models import AuditEvent
from tests.conftest import actor


def _denials() -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(action="authz.denied").order_by("id"))


def test_a_foreign_client_read_is_a_404_and_is_audited(api, alice, carol, make_client, harbor):
    foreign = make_client(harbor)
    response = api(alice).get(f"/api/v1/clients/{foreign.id}")
    assert response.status_code == 404
    event, copy = sorted(_denials(), key=lambda e: e.chain != str(alice.agency_id))
    assert (event.object_type, event.object_id) == ("client", str(foreign.id))
    assert event.actor_id == str(alice.id) and event.outcome == "deny"
    assert event.reason == "not_found"
    assert event.route and "clients" in event.route
    # the prober's event names no owner; Harbor (the owner) gets a copy on the platform chain
    assert (event.subject_agency_id, event.subject_ref) == (None, "")
    assert (copy.chain, copy.subject_agency_id) == ("platform", harbor.id)
    assert (copy.actor_id, copy.actor_agency_id) == (event.actor_id, alice.agency_id)
    assert (copy.object_id, copy.request_id) == (event.object_id, event.request_id)


SHAPE = ("subject_ref", "subject_agency_id", "shared_agency_id", "target_agency_id", "action")


def test_a_missing_object_looks_the_same_and_is_audited(api, alice):
    missing = uuid.uuid4()
    assert api(alice).get(f"/api/v1/clients/{missing}").status_code == 404
    (event,) = _denials()
    assert event.object_id == str(missing)


def test_the_probers_event_is_the_same_whether_the_object_exists(api, alice, make_client, harbor):
    """Tenancy: the prober's own trail (list and export bytes) must not say whose id it was."""
    foreign, missing = make_client(harbor), uuid.uuid4()
    for object_id in (foreign.id, missing):
        assert api(alice).get(f"/api/v1/clients/{object_id}").status_code == 404
    mine = [e for e in _denials() if e.chain == str(alice.agency_id)]
    shapes = {
        tuple(v for k, v in json.loads(bytes(e.canonical)).items() if k in SHAPE) for e in mine
    }
    assert len(mine) == 2 and len(shapes) == 1


def test_a_role_refusal_is_audited(api, alice):
    assert api(alice).get("/api/v1/audit/events").status_code == 403
    (event,) = _denials()
    assert event.reason == "permission_denied" and event.actor_role == "caseworker"


def test_anonymous_refusals_are_not_authz_events(anon, db):
    assert anon.get("/api/v1/audit/events").status_code == 401
    assert _denials() == []


def test_an_explicit_target_wins_over_path_ids(alice):
    audit_denied(
        actor=actor(alice), reason="not_found", target=("referral", "r-1"), path_ids={"x_id": 1}
    )
    assert (_denials()[0].object_type, _denials()[0].object_id) == ("referral", "r-1")


@pytest.mark.postgres  # SQLite has one writer: the open transaction blocks the second connection
@pytest.mark.django_db(transaction=True, databases=["default", "audit"])
def test_a_denial_survives_the_rollback_of_its_request(alice, settings):
    settings.AUDIT_INDEPENDENT_ALIAS = "audit"
    with pytest.raises(RuntimeError), transaction.atomic():
        audit_denied(actor=actor(alice), reason="not_found", target=("client", "c-1"))
        raise RuntimeError("the request fails and rolls back")
    assert [e.object_id for e in _denials()] == ["c-1"]
