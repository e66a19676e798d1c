"""Compliance officers (and `audit:read` integrations) list, verify and export their trail."""

from __future__ import annotations

import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from django.conf import settings

from audit.models import AuditEvent
from audit.services import audit_record
from tests.conftest import actor

EVENTS = "/api/v1/audit/events"


@pytest.fixture
def trail(alice, carol, dave, make_client, eastside):  # type: ignore[no-untyped-def]
    """Eastside acts; Harbor acts on Eastside's client; Safe Harbor acts on itself only."""
    client_id = make_client(eastside).pk
    audit_record(
        actor=actor(alice),
        action="client.read",
        target=("clients.client", client_id),
        subject_id=client_id,
        target_agency_id=alice.agency_id,
    )
    audit_record(
        actor=actor(alice),
        action="client.create",
        target=("clients.client", uuid.uuid4()),
        outcome="allow",
    )
    audit_record(
        actor=actor(carol),
        action="referral.read",
        target=("referrals.referral", 1),
        subject_id=client_id,
        target_agency_id=alice.agency_id,
    )
    audit_record(
        actor=actor(dave),
        action="client.create",
        target=("clients.client", 2),
        target_agency_id=dave.agency_id,
    )
    return client_id


def _actions(response) -> list[str]:  # type: ignore[no-untyped-def]
    assert response.status_code == 200, response.content
    return [e["action"] for e in response.json()["results"]]


def test_anonymous_callers_get_401(anon, trail):
    assert anon.get(EVENTS).status_code == 401
    assert anon.get("/api/v1/audit/verify").status_code == 401
    assert anon.post("/api/v1/audit/exports", {}).status_code == 401
    assert anon.get("/api/v1/audit/public-key").status_code == 401


@pytest.mark.parametrize("persona", ["alice", "adam", "sam"])
def test_caseworkers_supervisors_and_admins_are_refused(request, api, trail, persona):
    client = api(request.getfixturevalue(persona))
    for response in (
        client.get(EVENTS),
        client.get("/api/v1/audit/verify"),
        client.post("/api/v1/audit/exports", {}, format="json"),
    ):
        assert response.status_code == 403
        assert response["Content-Type"] == "application/problem+json"


def test_an_officer_sees_what_its_agency_did_or_owns_only(api, erin, trail, dave):
    actions = _actions(api(erin).get(EVENTS))
    assert "referral.read" in actions  # carol (Harbor) acted on Eastside
    events = api(erin).get(EVENTS).json()["results"]
    mine = str(erin.agency_id)
    assert all(
        mine in (e["actor_agency_id"], e["subject_agency_id"], e["shared_agency_id"])
        for e in events
    )
    assert str(dave.agency_id) not in {e["actor_agency_id"] for e in events}
    ids = [e["id"] for e in events]
    assert ids == sorted(ids, reverse=True)


def test_filters(api, erin, alice, carol, trail):
    client = api(erin)
    assert set(_actions(client.get(EVENTS, {"action": "client.create"}))) == {"client.create"}
    assert set(_actions(client.get(EVENTS, {"actor_id": str(carol.id)}))) == {"referral.read"}
    about = _actions(client.get(EVENTS, {"client_id": str(trail)}))
    assert about == ["referral.read", "client.read", "client.create"]  # creation: make_client
    assert _actions(
        client.get(EVENTS, {"object_type": "referrals.referral", "object_id": "1"})
    ) == ["referral.read"]
    assert _actions(client.get(EVENTS, {"outcome": "deny", "action": "client.read"})) == []
    assert _actions(client.get(EVENTS, {"from": "2999-01-01T00:00:00Z"})) == []
    assert len(_actions(client.get(EVENTS, {"to": "2999-01-01T00:00:00Z"}))) >= 3
    bad = client.get(EVENTS, {"client_id": "not-a-uuid"})
    assert bad.status_code == 400 and bad["Content-Type"] == "application/problem+json"


def test_cursor_pagination_walks_every_event_once(api, erin, alice):
    for n in range(7):
        audit_record(actor=actor(alice), action=f"test.page{n}")
    seen, url = [], EVENTS + "?page_size=3&outcome=allow"
    while url:
        body = api(erin).get(url).json()
        seen += [e["id"] for e in body["results"]]
        url = body["next"]
    assert (
        len(seen)
        == len(set(seen))
        == AuditEvent.objects.filter(actor_agency_id=alice.agency_id).count()
    )


def test_an_audit_read_integration_can_list_and_one_without_cannot(
    api, make_integration, eastside, trail
):
    reader = make_integration(eastside, scopes=["audit:read"])
    other = make_integration(eastside, scopes=["clients:read"])
    assert api(reader).get(EVENTS).status_code == 200
    assert api(other).get(EVENTS).status_code == 403


def test_verify_reports_the_agency_chain(api, erin, trail):
    body = api(erin).get("/api/v1/audit/verify").json()
    assert body["valid"] is True and body["first_broken"] is None
    assert [c["chain"] for c in body["chains"]] == [str(erin.agency_id)]
    assert body["events_checked"] >= 2


def test_public_key_is_served_to_any_authenticated_caller(api, alice):
    body = api(alice).get("/api/v1/audit/public-key").json()
    assert body["algorithm"] == "Ed25519"
    assert body["public_key_pem"].startswith("-----BEGIN PUBLIC KEY-----")


def _export(api, erin, tmp_path: Path) -> tuple[Path, Path]:  # type: ignore[no-untyped-def]
    response = api(erin).post("/api/v1/audit/exports", {}, format="json")
    assert response.status_code == 200, response.content
    assert response["Content-Type"] == "application/jsonl"
    export = tmp_path / "export.jsonl"
    export.write_bytes(response.content)
    key = tmp_path / "key.pem"
    key.write_text(api(erin).get("/api/v1/audit/public-key").json()["public_key_pem"])
    return export, key


def _offline(export: Path, key: Path) -> subprocess.CompletedProcess[str]:
    # -I: isolated (no site dir, no env); only the repo on sys.path and the venv's packages.
    code = (
        "import sys; sys.modules['django'] = None; "
        "from audit.verify_export import main; sys.exit(main(sys.argv[1:]))"
    )
    return subprocess.run(
        [sys.executable, "-c", code, str(export), "--public-key", str(key)],
        capture_output=True,
        text=True,
        cwd=settings.BASE_DIR,
        timeout=60,
    )


def test_an_export_verifies_offline_and_is_itself_audited(api, erin, trail, tmp_path):
    export, key = _export(api, erin, tmp_path)
    result = _offline(export, key)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.startswith("VALID")
    # carol's read of an Eastside client, and the platform's creation of it (make_client)
    assert "2 targeting events" in result.stdout
    assert AuditEvent.objects.filter(action="audit.export", actor_id=str(erin.id)).exists()
    module = subprocess.run(
        [sys.executable, "-m", "audit.verify_export", str(export), "--public-key", str(key)],
        capture_output=True,
        text=True,
        cwd=settings.BASE_DIR,
        timeout=60,
    )
    assert module.returncode == 0, module.stdout + module.stderr


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        (b"client.create", b"client.delete", "hash mismatch"),
        (None, None, "missing or reordered"),
    ],
)
def test_a_tampered_export_fails_offline(api, erin, alice, trail, tmp_path, old, new, expected):
    audit_record(actor=actor(alice), action="test.more")
    export, key = _export(api, erin, tmp_path)
    lines = export.read_bytes().splitlines(keepends=True)
    if old is None:
        del lines[2]  # drop an own-chain event
    else:
        lines = [line.replace(old, new) for line in lines]
    export.write_bytes(b"".join(lines))
    result = _offline(export, key)
    assert result.returncode == 1
    assert result.stdout.startswith("INVALID") and expected in result.stdout


def test_an_export_signed_by_another_key_fails(api, erin, trail, tmp_path):
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    export, key = _export(api, erin, tmp_path)
    other = Ed25519PrivateKey.generate().public_key()
    key.write_bytes(
        other.public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    )
    result = _offline(export, key)
    assert result.returncode == 1 and "signature" in result.stdout


def test_the_event_list_costs_the_same_few_queries_however_long_it_is(
    api, erin, alice, django_assert_max_num_queries
):
    for n in range(30):
        audit_record(actor=actor(alice), action=f"test.q{n}")
    client = api(erin)
    with django_assert_max_num_queries(4):
        response = client.get(EVENTS, {"page_size": 25})
    assert len(response.json()["results"]) == 25


def test_an_export_rejects_unknown_fields_and_can_start_later(api, erin, alice, tmp_path):
    for n in range(4):
        audit_record(actor=actor(alice), action=f"test.seg{n}")
    bad = api(erin).post("/api/v1/audit/exports", {"agency": "x"}, format="json")
    assert bad.status_code == 400 and bad["Content-Type"] == "application/problem+json"
    response = api(erin).post("/api/v1/audit/exports", {"from_seq": 3}, format="json")
    export = tmp_path / "segment.jsonl"
    export.write_bytes(response.content)
    key = tmp_path / "key.txt"
    key.write_text(api(erin).get("/api/v1/audit/public-key").json()["public_key"])
    result = _offline(export, key)
    assert result.returncode == 0, result.stdout
    assert "2 chain events" in result.stdout  # seq 3 and 4 (the export's own event comes after)
