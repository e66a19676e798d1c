"""Issue 13: what a compliance officer sees is what was hashed, and nobody can quietly rewrite it.

Every tamper test asserts verify's verdict AND the chain and seq it names. The tampering is
done as a database-only attacker: the superuser (triggers bypassed) and, on PostgreSQL, the
hardened application role (`audit_harden_db`), which can only INSERT and SELECT audit rows.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection, transaction
from django.utils import timezone

from audit import mac
from audit.checkpoints import ChainInconsistent, checkpoint_all, checkpoint_sign
from audit.models import Archive, AuditEvent, ChainHead, Checkpoint
from audit.services import audit_record
from audit.verify import verify_chains
from core.actor import SYSTEM
from tests.audit.tamper import AppRole, as_app_role, as_superuser, forge_append
from tests.conftest import actor, is_postgres  # noqa: F401 (skipif strings)

WHO = ["superuser", pytest.param("app_role", marks=pytest.mark.postgres)]


@pytest.fixture
def chain(alice, carol):  # type: ignore[no-untyped-def]
    """Five events in Eastside's chain, two in Harbor's; returns Eastside's chain name."""
    for n in range(5):
        audit_record(
            actor=actor(alice),
            action="client.read",
            target=("clients.client", uuid.uuid4()),
            subject_id=uuid.uuid4(),
            target_agency_id=alice.agency_id,
            purpose="intake",
            categories=["identity"],
            reason=f"step{n}",
        )
    for _ in range(2):
        audit_record(actor=actor(carol), action="referral.read")
    return str(alice.agency_id)


def _row(chain: str, seq: int) -> AuditEvent:
    return AuditEvent.objects.get(chain=chain, seq=seq)


def _broken(chain: str) -> tuple[bool, int | None, str]:
    (report,) = verify_chains([chain]).chains
    return report.valid, report.first_broken_seq, report.reason


def _tamper(who: str, sql: str, params: list[Any]) -> str | None:
    if who == "superuser":
        as_superuser(sql, params)
        return None
    return as_app_role(sql, params)


def _new_value(column: str, kind: str, row: AuditEvent) -> Any:
    """A different, well-typed value for `column`."""
    if column == "categories":
        return json.dumps(["health", "identity"])
    if column in ("hash", "prev_hash"):
        return "f" * 64
    if column == "seq":
        return 99
    if kind == "UUIDField" or column == "chain":
        return str(uuid.uuid4())
    if kind == "DateTimeField":
        return row.occurred_at - timedelta(days=3)
    if kind in ("IntegerField", "BigIntegerField"):
        return 12345
    return {"action": "client.erase", "outcome": "deny", "actor_kind": "system"}.get(column, "x9")


BOUND = [c for c, _ in mac.bound_fields()]


@pytest.mark.parametrize("who", WHO)
@pytest.mark.parametrize("column", BOUND)
def test_an_edit_of_any_column_is_found_at_its_row(chain, who, column):
    """The API serves, filters on and exports these columns; each is bound to the MAC."""
    kind = dict(mac.bound_fields())[column]
    row = _row(chain, 3)
    refused = _tamper(
        who,
        f"UPDATE audit_auditevent SET {column} = %s WHERE id = %s",  # noqa: S608 (model names)
        [_new_value(column, kind, row), row.id],
    )
    if who == "app_role":
        assert refused and "permission denied" in refused
        assert _broken(chain) == (True, None, "")
        return
    valid, seq, reason = _broken(chain)
    assert (valid, seq) == (False, 3), reason
    expected = {
        "seq": "missing events (seq gap)",
        "chain": "missing events (seq gap)",
        "hash": "hash does not match the stored canonical bytes",
    }.get(column, f"column {column} differs from the canonical record")
    assert reason == expected


def test_the_events_api_no_longer_vouches_for_an_edited_action(api, erin, chain):
    row = _row(chain, 2)
    as_superuser("UPDATE audit_auditevent SET action = 'consent.grant' WHERE id = %s", [row.id])
    body = api(erin).get("/api/v1/audit/verify").json()
    assert body["valid"] is False
    assert body["first_broken"] == {
        "chain": chain,
        "seq": 2,
        "reason": "column action differs from the canonical record",
    }


@pytest.mark.parametrize("who", WHO)
def test_a_forged_tail_append_is_found_and_never_signed(chain, alice, who):
    """A hash-consistent fake disclosure appended at the tail (the chain head moved too)."""
    checkpoint_all(actor=SYSTEM)
    signed = Checkpoint.objects.count()

    def forge() -> AuditEvent:
        return forge_append(actor=actor(alice), action="disclosure", reason="referral")

    if who == "app_role":
        with AppRole():
            forged = forge()
    else:
        forged = forge()
    assert forged.seq == 6 and ChainHead.objects.get(chain=chain).seq == 6
    valid, seq, reason = _broken(chain)
    assert (valid, seq) == (False, 6)
    assert reason == "MAC invalid: written without the application's audit key (forged)"
    # The next checkpoint run refuses to sign it, records why, and fails loudly.
    with pytest.raises(CommandError, match="REFUSED"):
        call_command("audit_checkpoint")
    assert Checkpoint.objects.count() == signed  # nothing new: Harbor's head did not move
    assert not Checkpoint.objects.filter(chain=chain, seq=6).exists()
    event = AuditEvent.objects.filter(action="audit.inconsistent").get()
    assert (event.outcome, event.object_id) == ("error", f"{chain}#6")
    assert event.reason.startswith("MAC invalid")


def _relink_after_deleting(chain: str, gone: set[int]) -> None:
    """Delete events and renumber + relink the rest, recomputing every hash (superuser)."""
    rows = list(AuditEvent.objects.filter(chain=chain).order_by("seq"))
    for seq in gone:
        as_superuser("DELETE FROM audit_auditevent WHERE chain = %s AND seq = %s", [chain, seq])
    prev, seq = "0" * 64, 0
    for row in rows:
        if row.seq in gone:
            continue
        seq += 1
        record = json.loads(bytes(row.canonical))
        record.update(seq=seq, prev_hash=prev)
        canonical = json.dumps(record, sort_keys=True, separators=(",", ":")).encode()
        digest = hashlib.sha256(bytes.fromhex(prev) + canonical).hexdigest()
        as_superuser(
            "UPDATE audit_auditevent SET seq = %s, prev_hash = %s, hash = %s, canonical = %s "
            "WHERE id = %s",
            [seq, prev, digest, canonical, row.id],
        )
        prev = digest
    as_superuser(
        "UPDATE audit_chainhead SET seq = %s, hash = %s WHERE chain = %s", [seq, prev, chain]
    )


def test_delete_relink_then_export_is_refused_and_not_re_signed(api, erin, chain, settings):
    checkpoint_all(actor=SYSTEM)
    audit_record(actor=actor(erin), action="client.list")  # seq 6, after the checkpoint
    files = sorted(p.name for p in Path(settings.AUDIT_CHECKPOINT_DIR, chain).glob("*.json"))
    _relink_after_deleting(chain, {2, 3})
    assert _broken(chain)[:2] == (False, 2)
    response = api(erin).post("/api/v1/audit/exports", {}, format="json")
    assert response.status_code == 409, response.content
    assert response["Content-Type"] == "application/problem+json"
    body = response.json()
    assert (body["code"], body["chain"], body["seq"]) == ("audit_inconsistent", chain, 2)
    assert not Checkpoint.objects.filter(chain=chain, seq=4).exists()  # the rewritten head
    after = sorted(p.name for p in Path(settings.AUDIT_CHECKPOINT_DIR, chain).glob("*.json"))
    assert after == files  # nothing published, nothing overwritten
    assert AuditEvent.objects.filter(action="audit.inconsistent", outcome="error").exists()
    # ... and verification still says so, from the table and from the published file.
    assert _broken(chain)[:2] == (False, 2)


def test_reordered_rows_are_found_at_the_first_moved_seq(chain):
    a, b = _row(chain, 2), _row(chain, 3)
    as_superuser("UPDATE audit_auditevent SET seq = -1 WHERE id = %s", [a.id])
    as_superuser("UPDATE audit_auditevent SET seq = 2 WHERE id = %s", [b.id])
    as_superuser("UPDATE audit_auditevent SET seq = 3 WHERE id = %s", [a.id])
    valid, seq, reason = _broken(chain)
    assert (valid, seq) == (False, 2)
    assert reason == "does not link to the previous event (relinked, reordered or inserted)"


def test_a_tail_truncated_after_a_checkpoint_is_found(chain):
    checkpoint_all(actor=SYSTEM)
    as_superuser("DELETE FROM audit_auditevent WHERE chain = %s AND seq >= 4", [chain])
    as_superuser(
        "UPDATE audit_chainhead SET seq = 3, hash = %s WHERE chain = %s",
        [_row(chain, 3).hash, chain],
    )
    assert _broken(chain) == (False, 4, "truncated after checkpoint (table)")
    with pytest.raises(ChainInconsistent):
        checkpoint_sign(actor=SYSTEM, chain=chain)  # never signs the shorter head


def test_every_checkpoint_is_kept_and_checked(chain, alice, settings):
    first = checkpoint_sign(actor=SYSTEM, chain=chain)
    audit_record(actor=actor(alice), action="client.list")
    second = checkpoint_sign(actor=SYSTEM, chain=chain)
    names = sorted(p.name for p in Path(settings.AUDIT_CHECKPOINT_DIR, chain).glob("*.json"))
    assert names == [
        f"{first.seq:012d}-{first.key_id}.json",
        f"{second.seq:012d}-{second.key_id}.json",
    ]
    (report,) = verify_chains([chain]).chains
    assert report.checkpoints_checked == 4  # two in the table, two published
    # An older checkpoint (not only the newest) that disagrees with the chain is found.
    as_superuser(
        "UPDATE audit_auditevent SET canonical = %s WHERE chain = %s AND seq = 5",
        [bytes(_row(chain, 5).canonical).replace(b"step4", b"stepX"), chain],
    )
    assert _broken(chain)[:2] == (False, 5)


def test_chain_names_are_constrained_and_never_a_path(db, settings, tmp_path):
    from audit.published import UnsafeChainName, chain_folder, publish

    for bad in ("../../etc", str(tmp_path / "evil"), "bench-01", "PLATFORM"):
        with pytest.raises(DatabaseError), transaction.atomic():
            ChainHead.objects.create(chain=bad, seq=1, hash="0" * 64)
        with pytest.raises(UnsafeChainName):
            chain_folder(bad)
    stray = Checkpoint(chain=str(tmp_path / "evil"), seq=1, head_hash="0" * 64, key_id="k")
    stray.created_at = timezone.now()
    with pytest.raises(UnsafeChainName):
        publish(stray)
    assert not (tmp_path / "evil").exists()
    assert chain_folder("platform").parent == Path(settings.AUDIT_CHECKPOINT_DIR).resolve()


def test_verify_reports_the_unsigned_tail(api, erin, chain, alice):
    body = api(erin).get("/api/v1/audit/verify").json()
    assert body["valid"] and body["chains"][0]["unsigned_events"] == 5
    assert body["chains"][0]["seconds_since_checkpoint"] is None  # never signed
    checkpoint_sign(actor=SYSTEM, chain=chain)
    audit_record(actor=actor(alice), action="client.list")
    (report,) = verify_chains([chain]).chains
    assert report.valid and report.unsigned_events == 1
    assert report.seconds_since_checkpoint is not None and report.seconds_since_checkpoint >= 0


def test_a_compliance_officer_can_request_a_checkpoint(api, erin, chain):
    response = api(erin).post("/api/v1/audit/checkpoints")
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["chain"], body["seq"], body["signature_valid"]) == (chain, 5, True)
    assert body["hash"] == _row(chain, 5).hash
    event = AuditEvent.objects.get(action="audit.checkpoint")
    assert (event.actor_id, event.chain, event.reason) == (str(erin.id), chain, "seq=5")


def test_a_requested_checkpoint_of_a_broken_chain_is_refused(api, erin, alice, chain):
    forge_append(actor=actor(alice), action="disclosure")
    response = api(erin).post("/api/v1/audit/checkpoints")
    assert response.status_code == 409
    assert response.json()["code"] == "audit_inconsistent" and response.json()["seq"] == 6
    assert not Checkpoint.objects.filter(chain=chain).exists()
    assert AuditEvent.objects.filter(action="audit.inconsistent").count() == 1


def test_others_cannot_request_a_checkpoint(api, alice, chain):
    assert api(alice).post("/api/v1/audit/checkpoints").status_code == 403


def test_unknown_action_and_unknown_filters_are_400_naming_the_known_ones(api, erin, chain):
    typo = api(erin).get("/api/v1/audit/events", {"action": "disclosre"})
    assert typo.status_code == 400 and typo["Content-Type"] == "application/problem+json"
    assert "disclosure" in typo.json()["known_actions"]
    unknown = api(erin).get("/api/v1/audit/events", {"actr": "x"})
    assert unknown.status_code == 400
    assert {"action", "actor_id", "from", "to", "cursor"} <= set(unknown.json()["known_filters"])
    fine = api(erin).get("/api/v1/audit/events", {"action": "client.read"})
    assert fine.status_code == 200 and len(fine.json()["results"]) == 5


def test_every_recorded_action_is_registered():
    """Scan the code for actions it records; each must be in audit/actions.py."""
    import re

    from django.conf import settings as dj

    from audit.actions import ACTIONS

    pattern = re.compile(
        r"(?:action=|_audit\(actor, (?:consent, )?|action = )\"([a-z_]+\.[a-z_.]+|disclosure)\""
    )
    found = set()
    for app in ("accounts", "agencies", "audit", "clients", "consent", "referrals", "reports",
                "webhooks", "api", "console", "crypto", "core"):  # fmt: skip
        for path in Path(dj.BASE_DIR, app).rglob("*.py"):
            if "migrations" not in path.parts:
                found |= set(pattern.findall(path.read_text()))
    found -= {"store_true"}
    assert found, "the scan found nothing: the pattern is wrong"
    assert sorted(found - ACTIONS) == []


def test_an_export_by_time_range(api, erin, alice, tmp_path):
    from tests.audit.test_compliance_api import _offline

    base = timezone.now()
    for n, hours in enumerate((-30, -20, -10, -1)):
        with pytest.MonkeyPatch.context() as mp:
            mp.setattr(timezone, "now", lambda h=hours: base + timedelta(hours=h))
            audit_record(actor=actor(alice), action="client.list", reason=f"t{n}")
    window = {
        "from": (base - timedelta(hours=25)).isoformat(),
        "to": (base - timedelta(hours=5)).isoformat(),
    }
    response = api(erin).post("/api/v1/audit/exports", window, format="json")
    assert response.status_code == 200, response.content
    lines = [json.loads(line) for line in response.content.splitlines()]
    events = [json.loads(e["canonical"]) for e in lines if e["type"] == "event"]
    assert [(e["seq"], e["reason"]) for e in events] == [(2, "t1"), (3, "t2")]
    assert lines[0]["from_seq"] == 2 and lines[0]["to_seq"] == 3
    checkpoint = next(e for e in lines if e["type"] == "checkpoint")
    assert checkpoint["seq"] == 3  # signed at the segment's end, after verifying up to it
    export, key = tmp_path / "window.jsonl", tmp_path / "key.txt"
    export.write_bytes(response.content)
    key.write_text(api(erin).get("/api/v1/audit/public-key").json()["public_key"])
    result = _offline(export, key)
    assert result.returncode == 0, result.stdout
    assert "2 chain events up to signed checkpoint seq 3" in result.stdout
    bad = api(erin).post(
        "/api/v1/audit/exports", {"from": window["to"], "to": window["from"]}, format="json"
    )
    assert bad.status_code == 400


def test_verification_across_a_signing_key_rotation(api, erin, chain, alice, settings):
    import base64
    import os

    from audit import signing

    old = checkpoint_sign(actor=SYSTEM, chain=chain)
    old_public = signing.public_key_b64()
    settings.AUDIT_SIGNING_KEY = base64.b64encode(os.urandom(32)).decode()  # rotated
    settings.AUDIT_SIGNING_RETIRED_PUBLIC_KEYS = old_public
    audit_record(actor=actor(alice), action="client.list")
    new = checkpoint_sign(actor=SYSTEM, chain=chain)
    assert old.key_id != new.key_id
    report = verify_chains([chain])
    assert report.valid and report.chains[0].checkpoints_checked == 4
    body = api(erin).get("/api/v1/audit/public-key").json()
    assert body["key_id"] == new.key_id
    assert body["retired"] == [{"key_id": old.key_id, "public_key": old_public}]
    # A checkpoint naming an unknown key id is not accepted as signed.
    as_superuser("UPDATE audit_checkpoint SET key_id = 'feedfeedfeedfeed' WHERE id = %s", [old.id])
    assert _broken(chain) == (False, old.seq, "checkpoint signature invalid (table)")


def test_archive_a_prefix_then_verify_the_rest(chain, alice, tmp_path, capsys):
    from tests.audit.test_compliance_api import _offline

    checkpoint_sign(actor=SYSTEM, chain=chain)  # seq 5
    for _ in range(3):
        audit_record(actor=actor(alice), action="client.list")  # seq 6-8
    out = tmp_path / "archive"
    call_command("audit_archive", chain=chain, out=str(out), through_seq=5)
    assert "archived" in capsys.readouterr().out
    assert list(
        AuditEvent.objects.filter(chain=chain).values_list("seq", flat=True).order_by("seq")
    ) == [6, 7, 8]
    archive = Archive.objects.get(chain=chain)
    assert (archive.seq, archive.events) == (5, 5)
    (report,) = verify_chains([chain]).chains
    assert report.valid, report.reason
    assert (report.archived_through_seq, report.events_checked, report.last_seq) == (5, 3, 8)
    # The archive file verifies offline like an export.
    (path,) = out.glob("*.jsonl")
    assert hashlib.sha256(path.read_bytes()).hexdigest() == archive.archive_sha256
    key = tmp_path / "key.txt"
    from audit import signing

    key.write_text(signing.public_key_b64())
    result = _offline(path, key)
    assert (
        result.returncode == 0 and "5 chain events up to signed checkpoint seq 5" in result.stdout
    )
    # Later tampering is still found at its row; a forged archive statement is refused.
    as_superuser(
        "UPDATE audit_auditevent SET outcome = 'deny' WHERE chain = %s AND seq = 7", [chain]
    )
    assert _broken(chain) == (False, 7, "column outcome differs from the canonical record")


def test_a_forged_archive_statement_cannot_hide_a_deleted_prefix(chain):
    checkpoint_all(actor=SYSTEM)
    as_superuser("DELETE FROM audit_auditevent WHERE chain = %s AND seq <= 3", [chain])
    as_superuser(
        "INSERT INTO audit_archive (chain, seq, head_hash, archive_sha256, events, created_at, "
        "key_id, signature) VALUES (%s, 3, %s, %s, 3, %s, 'x', 'AAAA')",
        [chain, _row(chain, 4).prev_hash, "0" * 64, timezone.now()],
    )
    valid, seq, reason = _broken(chain)
    assert (valid, seq) == (False, 4) and reason.startswith("archive statement signature invalid")


def test_archiving_refuses_a_chain_that_does_not_verify(chain, alice, tmp_path):
    checkpoint_sign(actor=SYSTEM, chain=chain)
    as_superuser(
        "UPDATE audit_auditevent SET actor_id = 'someone' WHERE chain = %s AND seq = 2", [chain]
    )
    with pytest.raises(CommandError, match="not archived"):
        call_command("audit_archive", chain=chain, out=str(tmp_path / "a"))
    assert AuditEvent.objects.filter(chain=chain).count() == 5
    assert not Archive.objects.exists()


def test_verify_and_archive_commands_report_progress(chain, monkeypatch, capsys):
    import audit.verify_rows

    monkeypatch.setattr(audit.verify_rows, "PAGE", 2)
    call_command("audit_verify", chain=[chain])
    captured = capsys.readouterr()
    assert f"{chain}: 4 events checked" in captured.err
    assert "5 not yet covered by a signed checkpoint" in captured.out


@pytest.mark.postgres
def test_the_application_role_can_still_append_and_verify(chain, alice):
    with AppRole():
        event = audit_record(actor=actor(alice), action="client.list")
        assert event.seq == 6
        assert verify_chains([chain]).valid
    assert connection.vendor == "postgresql"
