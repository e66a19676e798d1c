"""Verification detects edits, deletions, reordering and truncation after a checkpoint."""

from __future__ import annotations

import json
from contextlib import contextmanager
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

import audit.verify_rows
from audit.checkpoints import checkpoint_all
from audit.models import AuditEvent, Checkpoint
from audit.services import audit_record
from audit.verify import verify_chains
from core.actor import SYSTEM
from tests.audit.tamper import as_superuser
from tests.conftest import actor


@pytest.fixture
def chain(alice, carol):  # type: ignore[no-untyped-def]
    """Five events in Eastside's chain, two in Harbor's; returns Eastside's chain name."""
    for n in range(5):
        audit_record(actor=actor(alice), action=f"test.step{n}")
    for _ in range(2):
        audit_record(actor=actor(carol), action="test.other")
    return str(alice.agency_id)


def _row(chain: str, seq: int) -> AuditEvent:
    return AuditEvent.objects.get(chain=chain, seq=seq)


def test_an_untouched_log_verifies(chain):
    checkpoint_all(actor=SYSTEM)
    report = verify_chains()
    assert report.valid, report.first_broken
    assert report.first_broken is None
    assert report.events_checked == AuditEvent.objects.count()
    assert report.last_checkpoint is not None and report.last_checkpoint["signature_valid"]
    call_command("audit_verify")


def test_it_detects_an_edited_row(chain):
    row = _row(chain, 3)
    edited = bytes(row.canonical).replace(b"test.step2", b"test.stepX")
    as_superuser(
        "UPDATE audit_auditevent SET canonical = %s, action = %s WHERE id = %s",
        [edited, "test.stepX", row.id],
    )
    report = verify_chains([chain])
    assert not report.valid
    assert report.first_broken == {
        "chain": chain,
        "seq": 3,
        "reason": report.first_broken["reason"],
    }
    assert "hash" in report.first_broken["reason"]
    with pytest.raises(CommandError):
        call_command("audit_verify")


def test_it_detects_a_recomputed_tail_at_the_edited_row(chain):
    """A superuser who edits a row AND recomputes all later hashes is caught at that row (the
    per-event MAC needs a key the database does not hold), before the checkpoint is reached."""
    import hashlib

    checkpoint_all(actor=SYSTEM)
    prev = _row(chain, 2).hash
    for seq in range(3, 6):
        row = _row(chain, seq)
        canonical = bytes(row.canonical)
        if seq == 3:
            canonical = canonical.replace(b"test.step2", b"test.stepX")
        digest = hashlib.sha256(bytes.fromhex(prev) + canonical).hexdigest()
        as_superuser(
            "UPDATE audit_auditevent SET canonical = %s, prev_hash = %s, hash = %s WHERE id = %s",
            [canonical, prev, digest, row.id],
        )
        prev = digest
    report = verify_chains([chain])
    assert report.first_broken["seq"] == 3
    assert report.first_broken["reason"] == "column action differs from the canonical record"


def test_it_detects_a_deleted_row(chain):
    as_superuser("DELETE FROM audit_auditevent WHERE id = %s", [_row(chain, 2).id])
    report = verify_chains()
    assert report.first_broken["chain"] == chain
    assert report.first_broken["seq"] == 2
    assert "gap" in report.first_broken["reason"]


def test_it_detects_reordered_rows(chain):
    a, b = _row(chain, 2), _row(chain, 3)
    as_superuser("UPDATE audit_auditevent SET seq = -1 WHERE id = %s", [a.id])
    as_superuser("UPDATE audit_auditevent SET seq = 2 WHERE id = %s", [b.id])
    as_superuser("UPDATE audit_auditevent SET seq = 3 WHERE id = %s", [a.id])
    report = verify_chains([chain])
    assert report.first_broken["seq"] == 2


def test_it_detects_a_tail_truncated_after_a_checkpoint(chain):
    checkpoint_all(actor=SYSTEM)
    as_superuser("DELETE FROM audit_auditevent WHERE chain = %s AND seq >= 4", [chain])
    as_superuser(
        "UPDATE audit_chainhead SET seq = 3, hash = %s WHERE chain = %s",
        [_row(chain, 3).hash, chain],
    )
    report = verify_chains([chain])
    assert report.first_broken["seq"] == 4
    assert "truncated after checkpoint" in report.first_broken["reason"]


def test_the_published_checkpoint_catches_truncation_even_when_table_checkpoints_go(chain):
    checkpoint_all(actor=SYSTEM)
    as_superuser("DELETE FROM audit_checkpoint")
    as_superuser("DELETE FROM audit_auditevent WHERE chain = %s AND seq = 5", [chain])
    as_superuser(
        "UPDATE audit_chainhead SET seq = 4, hash = %s WHERE chain = %s",
        [_row(chain, 4).hash, chain],
    )
    report = verify_chains([chain])
    assert report.first_broken["seq"] == 5
    assert "(published)" in report.first_broken["reason"]


def test_a_forged_checkpoint_signature_is_reported(chain, settings):
    (cp, *_rest) = [c for c in checkpoint_all(actor=SYSTEM) if c.chain == chain]
    as_superuser(
        "UPDATE audit_checkpoint SET signature = %s WHERE id = %s", ["A" * 86 + "==", cp.id]
    )
    for path in Path(settings.AUDIT_CHECKPOINT_DIR, chain).glob("*.json"):
        path.unlink()
    report = verify_chains([chain])
    assert not report.valid
    assert "signature" in report.first_broken["reason"]


def test_checkpoints_are_published_as_files(chain, settings):
    created = checkpoint_all(actor=SYSTEM)
    assert chain in {c.chain for c in created}
    (path,) = Path(settings.AUDIT_CHECKPOINT_DIR, chain).glob("*.json")
    assert path.name.startswith("000000000005-")  # named by seq and key id, never "latest"
    data = json.loads(path.read_text())
    assert data["seq"] == 5 and data["hash"] == _row(chain, 5).hash
    assert checkpoint_all(actor=SYSTEM) == []  # nothing moved: nothing new
    assert Checkpoint.objects.filter(chain=chain).count() == 1
    call_command("audit_checkpoint")


def test_deep_verification_parses_each_record(chain):
    report = verify_chains(deep=True)
    assert report.valid and report.events_checked == AuditEvent.objects.count()


def test_after_a_signing_key_rotation_every_chain_is_checkpointed_under_the_new_key(
    chain, settings
):
    import base64
    import os

    from audit import signing
    from audit.models import Checkpoint

    checkpoint_all(actor=SYSTEM)
    assert checkpoint_all(actor=SYSTEM) == []  # nothing moved: nothing new
    old_public = signing.public_key_b64()
    settings.AUDIT_SIGNING_KEY = base64.b64encode(os.urandom(32)).decode()  # rotated
    assert not verify_chains().valid  # the old key is not kept: its checkpoints are unverifiable
    settings.AUDIT_SIGNING_RETIRED_PUBLIC_KEYS = old_public  # kept by key id, outside the db
    assert verify_chains().valid
    again = checkpoint_all(actor=SYSTEM)
    assert {cp.chain for cp in again} == set(Checkpoint.objects.values_list("chain", flat=True))
    assert {cp.key_id for cp in again} == {signing.key_id()}
    assert verify_chains().valid


@contextmanager
def appending_right_after_the_heads_are_read(user):  # type: ignore[no-untyped-def]
    """Within the block, one event of `user`'s agency is appended right after the first SELECT
    of the chain heads, on the same connection (the service is live while verification runs).
    Yields a list that holds one item once the event was appended."""
    appended: list[int] = []

    def wrapper(execute, sql, params, many, context):  # type: ignore[no-untyped-def]
        result = execute(sql, params, many, context)
        if not appended and "audit_chainhead" in sql:
            appended.append(1)
            audit_record(actor=actor(user), action="test.meanwhile")  # committed if autocommit
        return result

    with connection.execute_wrapper(wrapper):
        yield appended


def test_events_appended_while_it_runs_are_not_reported_as_a_head_mismatch(chain, alice):
    """The heads are read first, the rows after: an event appended in between is walked too,
    and must not read as tampering."""
    with appending_right_after_the_heads_are_read(alice) as appended:
        report = verify_chains([chain])
    assert appended == [1]
    (walked,) = report.chains
    assert report.valid, report.first_broken
    assert walked.events_checked == 6 and walked.last_seq == 6


def test_a_head_whose_hash_differs_is_still_reported_when_events_were_appended_after_it(
    chain, alice
):
    as_superuser("UPDATE audit_chainhead SET hash = %s WHERE chain = %s", ["0" * 64, chain])
    with appending_right_after_the_heads_are_read(alice) as appended:
        report = verify_chains([chain])
    assert appended == [1]
    assert report.first_broken == {
        "chain": chain,
        "seq": 5,
        "reason": "the chain head's hash differs from the events",
    }


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_an_event_committed_by_another_session_while_it_runs_is_walked_too(alice, monkeypatch):
    """Outside a transaction, on the verification's own connections (audit/verify_rows.py):
    the event is committed in between the heads' read and the rows' fetch."""
    monkeypatch.setattr(audit.verify_rows, "PARALLEL_ROWS", 0)
    for n in range(3):
        audit_record(actor=actor(alice), action=f"test.step{n}")
    with appending_right_after_the_heads_are_read(alice) as appended:
        report = verify_chains([str(alice.agency_id)])
    assert appended == [1]
    assert report.valid, report.first_broken
    assert report.events_checked == 4
