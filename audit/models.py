"""The append-only audit log: one hash chain per acting agency (or `platform`)."""

from __future__ import annotations

import uuid

from django.db import models

# A chain is named after the acting agency (its UUID) or `platform`; nothing else. The name
# reaches file paths (published checkpoints), so the database itself refuses any other value.
CHAIN_PATTERN = r"^(platform|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$"


def _chain_check(name: str) -> models.CheckConstraint:
    return models.CheckConstraint(condition=models.Q(chain__regex=CHAIN_PATTERN), name=name)


class Outcome(models.TextChoices):
    ALLOW = "allow"
    DENY = "deny"
    ERROR = "error"


class AuditEvent(models.Model):
    """One event. Rows are never updated or deleted (database triggers enforce it).

    `canonical` holds the exact bytes that were hashed: `hash = SHA-256(prev_hash || canonical)`.
    No survivor values are ever stored here: clients appear only as `subject_ref`, an HMAC
    pseudonym of the client id.
    """

    id = models.BigAutoField(primary_key=True)  # global order across chains
    event_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    chain = models.CharField(max_length=64)
    seq = models.BigIntegerField()
    occurred_at = models.DateTimeField()
    actor_kind = models.CharField(max_length=16)
    actor_id = models.CharField(max_length=64, blank=True)
    actor_agency_id = models.UUIDField(null=True, blank=True)
    actor_role = models.CharField(max_length=32, blank=True)
    auth_method = models.CharField(max_length=32, blank=True)
    action = models.CharField(max_length=64)
    object_type = models.CharField(max_length=64, blank=True)
    object_id = models.CharField(max_length=64, blank=True)
    subject_ref = models.CharField(max_length=64, blank=True)
    target_agency_id = models.UUIDField(null=True, blank=True)
    subject_agency_id = models.UUIDField(null=True, blank=True)  # owns the data (audit/owner.py)
    shared_agency_id = models.UUIDField(null=True, blank=True)  # recipient of a sent referral
    purpose = models.CharField(max_length=64, blank=True)
    consent_id = models.UUIDField(null=True, blank=True)
    categories = models.JSONField(default=list)
    outcome = models.CharField(max_length=8, choices=Outcome.choices, default=Outcome.ALLOW)
    reason = models.CharField(max_length=64, blank=True)
    request_id = models.CharField(max_length=64, blank=True)
    route = models.CharField(max_length=200, blank=True)
    ip = models.CharField(max_length=64, blank=True)
    user_agent = models.CharField(max_length=200, blank=True)
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64)
    canonical = models.BinaryField()
    # HMAC-SHA256 under a key outside the database over the hash and every column (audit/mac.py).
    mac = models.CharField(max_length=64, default="")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["chain", "seq"], name="audit_chain_seq_unique"),
            _chain_check("audit_event_chain_name"),
        ]
        indexes = [
            models.Index(fields=["actor_agency_id", "id"], name="audit_actor_agency_idx"),
            models.Index(fields=["target_agency_id", "id"], name="audit_target_agency_idx"),
            models.Index(fields=["subject_ref", "id"], name="audit_subject_idx"),
            models.Index(fields=["subject_agency_id", "id"], name="audit_subject_agency_idx"),
            models.Index(fields=["shared_agency_id", "id"], name="audit_shared_agency_idx"),
            models.Index(fields=["action", "id"], name="audit_action_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.chain}#{self.seq} {self.action}"


class ChainHead(models.Model):
    """The newest (seq, hash) of one chain; locked briefly to append."""

    chain = models.CharField(max_length=64, primary_key=True)
    seq = models.BigIntegerField(default=0)
    hash = models.CharField(max_length=64)

    class Meta:
        constraints = [_chain_check("audit_head_chain_name")]

    def __str__(self) -> str:
        return f"{self.chain}@{self.seq}"


class Checkpoint(models.Model):
    """A signed statement "chain C had head hash H at seq N at time T" (Ed25519).

    Also published as a JSON file outside the database (`AUDIT_CHECKPOINT_DIR`), so a tail
    truncated or rewritten by someone with database access is still detected.
    """

    id = models.BigAutoField(primary_key=True)
    chain = models.CharField(max_length=64)
    seq = models.BigIntegerField()
    head_hash = models.CharField(max_length=64)
    created_at = models.DateTimeField()
    key_id = models.CharField(max_length=16)
    signature = models.CharField(max_length=128)

    class Meta:
        indexes = [models.Index(fields=["chain", "-seq"], name="audit_checkpoint_chain_idx")]
        constraints = [_chain_check("audit_checkpoint_chain_name")]

    def __str__(self) -> str:
        return f"checkpoint {self.chain}@{self.seq}"


class Archive(models.Model):
    """A signed statement "chain C's events up to seq N were archived (file digest D)".

    Written by `manage.py audit_archive` before it removes those rows; verification then starts
    the chain at (seq, head_hash) instead of the genesis. Signed with the checkpoint key and
    published as a file, so a database-only attacker cannot forge one to hide a deleted prefix.
    """

    id = models.BigAutoField(primary_key=True)
    chain = models.CharField(max_length=64)
    seq = models.BigIntegerField()
    head_hash = models.CharField(max_length=64)
    archive_sha256 = models.CharField(max_length=64)
    events = models.BigIntegerField()
    created_at = models.DateTimeField()
    key_id = models.CharField(max_length=16)
    signature = models.CharField(max_length=128)

    class Meta:
        indexes = [models.Index(fields=["chain", "-seq"], name="audit_archive_chain_idx")]
        constraints = [_chain_check("audit_archive_chain_name")]

    def __str__(self) -> str:
        return f"archive {self.chain}@{self.seq}"
