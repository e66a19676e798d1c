"""Consent: a client's specific, time-limited, revocable release to ONE recipient agency."""

from __future__ import annotations

from django.db import models
from django.utils import timezone

from core.models import BaseModel


class Purpose(models.TextChoices):
    LEGAL_SERVICES = "legal_services"
    HOUSING = "housing"
    SOCIAL_SERVICES = "social_services"
    HEALTH_CARE = "health_care"
    SAFETY_PLANNING = "safety_planning"
    CASE_COORDINATION = "case_coordination"


class Method(models.TextChoices):
    WRITTEN = "written"
    ELECTRONIC = "electronic"
    VERBAL_WITNESSED = "verbal_witnessed"


class SignedBy(models.TextChoices):
    CLIENT = "client"
    REPRESENTATIVE = "representative"


class SignerRelationship(models.TextChoices):
    SELF = "self"
    PARENT = "parent"
    GUARDIAN = "guardian"
    LEGAL_REPRESENTATIVE = "legal_representative"
    OTHER = "other"


class ConsentStatus(models.TextChoices):
    ACTIVE = "active"
    REVOKED = "revoked"
    EXPIRED = "expired"
    REFUSED = "refused"


class Consent(BaseModel):
    """One release (or a recorded refusal) from a client to one recipient agency.

    Survivor free text (`purpose_detail`, the revocation reason) is stored only sealed under the
    client's data key; signer names are never stored. Whether a consent permits anything is
    decided by `consent.policy.decide`, by time alone: `status` records what happened.
    """

    client = models.ForeignKey("clients.Client", on_delete=models.PROTECT, related_name="consents")
    agency = models.ForeignKey(
        "agencies.Agency", on_delete=models.PROTECT, related_name="consents_recorded"
    )
    recorded_by = models.ForeignKey(
        "accounts.User", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    recorded_by_integration = models.ForeignKey(
        "accounts.Integration", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    recipient_agency = models.ForeignKey(
        "agencies.Agency", on_delete=models.PROTECT, related_name="consents_received"
    )
    categories = models.JSONField(default=list)
    purpose = models.CharField(max_length=32, choices=Purpose.choices)
    purpose_detail_sealed = models.BinaryField(null=True, blank=True)
    valid_from = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField(null=True, blank=True)
    method = models.CharField(max_length=32, choices=Method.choices)
    signed_by = models.CharField(max_length=16, choices=SignedBy.choices)
    signer_relationship = models.CharField(max_length=32, choices=SignerRelationship.choices)
    informed = models.BooleanField(default=False)
    evidence_sha256 = models.CharField(max_length=64, blank=True)
    special_categories_acknowledged = models.BooleanField(default=False)
    status = models.CharField(max_length=16, choices=ConsentStatus.choices)
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_by = models.ForeignKey(
        "accounts.User", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    revoked_by_integration = models.ForeignKey(
        "accounts.Integration", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    revoke_reason_sealed = models.BinaryField(null=True, blank=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                name="consent_status_known", condition=models.Q(status__in=ConsentStatus.values)
            ),
            models.CheckConstraint(
                name="consent_expiry_unless_refused",
                condition=models.Q(status=ConsentStatus.REFUSED)
                | models.Q(expires_at__isnull=False),
            ),
            models.CheckConstraint(
                name="consent_expires_after_start",
                condition=models.Q(expires_at__isnull=True)
                | models.Q(expires_at__gt=models.F("valid_from")),
            ),
            models.CheckConstraint(
                name="consent_revoked_has_time",
                condition=~models.Q(status=ConsentStatus.REVOKED)
                | models.Q(revoked_at__isnull=False),
            ),
        ]
        indexes = [
            models.Index(
                fields=["client", "recipient_agency", "status"], name="consent_client_recipient_idx"
            ),
            models.Index(
                fields=["client", "-created_at", "-id"], name="consent_client_created_idx"
            ),
            models.Index(fields=["status", "expires_at"], name="consent_status_expiry_idx"),
        ]

    def __str__(self) -> str:
        return f"Consent {self.pk} ({self.status})"


class ConsentStatusChange(models.Model):
    """One step of a consent's status history: who, from, to, a reason code, when."""

    id = models.BigAutoField(primary_key=True)
    consent = models.ForeignKey(Consent, on_delete=models.PROTECT, related_name="history")
    from_status = models.CharField(max_length=16, blank=True)
    to_status = models.CharField(max_length=16, choices=ConsentStatus.choices)
    reason = models.CharField(max_length=64)  # a code, never free text
    actor_kind = models.CharField(max_length=16)
    actor_id = models.CharField(max_length=64, blank=True)
    actor_agency_id = models.UUIDField(null=True, blank=True)
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["id"]
        indexes = [models.Index(fields=["consent", "id"], name="consent_history_idx")]

    def __str__(self) -> str:
        return f"{self.from_status or '-'} -> {self.to_status}"
