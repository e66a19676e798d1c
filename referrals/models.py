"""Referral (FHIR Task aligned), its transition history and the messages on it.

Survivor narrative (the reason, status reasons, message bodies) is stored only sealed under
the client's data key (`crypto.service.seal`), so erasing the client erases it too.
"""

from __future__ import annotations

from django.db import models

from agencies.models import ServiceType
from core.models import BaseModel


class ReferralStatus(models.TextChoices):
    DRAFT = "draft"
    REQUESTED = "requested"
    ACCEPTED = "accepted"
    REJECTED = "rejected"
    CANCELLED = "cancelled"
    IN_PROGRESS = "in-progress"
    ON_HOLD = "on-hold"
    COMPLETED = "completed"
    FAILED = "failed"
    EXPIRED = "expired"
    ENTERED_IN_ERROR = "entered-in-error"


class Priority(models.TextChoices):
    ROUTINE = "routine"
    URGENT = "urgent"
    ASAP = "asap"
    STAT = "stat"


class Referral(BaseModel):
    """One agency asks another to serve a client, under one consent."""

    sender_agency = models.ForeignKey(
        "agencies.Agency", on_delete=models.PROTECT, related_name="referrals_sent"
    )
    sender_user = models.ForeignKey(
        "accounts.User", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    sender_integration = models.ForeignKey(
        "accounts.Integration", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    recipient_agency = models.ForeignKey(
        "agencies.Agency", on_delete=models.PROTECT, related_name="referrals_received"
    )
    program = models.ForeignKey(
        "agencies.Program", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    client = models.ForeignKey("clients.Client", on_delete=models.PROTECT, related_name="referrals")
    consent = models.ForeignKey(
        "consent.Consent", on_delete=models.PROTECT, related_name="referrals"
    )
    service_type = models.CharField(max_length=32, choices=ServiceType.choices)
    priority = models.CharField(max_length=8, choices=Priority.choices, default=Priority.ROUTINE)
    reason = models.BinaryField(null=True, blank=True)  # sealed under the client's DEK
    response_deadline = models.DateTimeField(null=True, blank=True)
    reminded_at = models.DateTimeField(null=True, blank=True)
    assignee = models.ForeignKey(
        "accounts.User", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    status = models.CharField(max_length=20, choices=ReferralStatus.choices)
    status_reason = models.BinaryField(null=True, blank=True)  # sealed under the client's DEK
    version = models.PositiveIntegerField(default=1)

    class Meta:
        indexes = [
            models.Index(
                fields=["sender_agency", "-created_at", "-id"], name="referral_sender_created_idx"
            ),
            models.Index(
                fields=["recipient_agency", "-created_at", "-id"],
                name="referral_recipient_created_idx",
            ),
            models.Index(fields=["status", "response_deadline"], name="referral_deadline_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(sender_agency=models.F("recipient_agency")),
                name="referral_other_agency",
            ),
            models.CheckConstraint(
                condition=models.Q(status__in=ReferralStatus.values), name="referral_status_valid"
            ),
            models.CheckConstraint(
                condition=models.Q(priority__in=Priority.values), name="referral_priority_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"Referral {self.pk} ({self.status})"


class ReferralTransition(BaseModel):
    """One status change: who, from, to, (sealed) reason, when (`created_at`)."""

    referral = models.ForeignKey(Referral, on_delete=models.PROTECT, related_name="transitions")
    actor_kind = models.CharField(max_length=16)
    actor_user = models.ForeignKey(
        "accounts.User", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    actor_integration = models.ForeignKey(
        "accounts.Integration", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    actor_agency = models.ForeignKey(
        "agencies.Agency", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    from_status = models.CharField(max_length=20, choices=ReferralStatus.choices, blank=True)
    to_status = models.CharField(max_length=20, choices=ReferralStatus.choices)
    reason = models.BinaryField(null=True, blank=True)  # sealed under the client's DEK

    class Meta:
        indexes = [
            models.Index(fields=["referral", "created_at"], name="referral_transition_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.from_status or '-'} -> {self.to_status}"


class ReferralMessage(BaseModel):
    """A message between the sender and recipient agencies; the body is sealed."""

    referral = models.ForeignKey(Referral, on_delete=models.PROTECT, related_name="messages")
    agency = models.ForeignKey("agencies.Agency", on_delete=models.PROTECT, related_name="+")
    author_user = models.ForeignKey(
        "accounts.User", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    author_integration = models.ForeignKey(
        "accounts.Integration", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    body = models.BinaryField()  # sealed under the client's DEK

    class Meta:
        indexes = [
            models.Index(fields=["referral", "-created_at", "-id"], name="referral_message_idx"),
        ]

    def __str__(self) -> str:
        return f"Message {self.pk} on {self.referral_id}"


class ReferralReadMark(models.Model):
    """How far one party's agency has read a referral's messages (for the unread count)."""

    id = models.BigAutoField(primary_key=True)
    referral = models.ForeignKey(Referral, on_delete=models.PROTECT, related_name="+")
    agency = models.ForeignKey("agencies.Agency", on_delete=models.PROTECT, related_name="+")
    last_read_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["referral", "agency"], name="referral_read_mark_unique")
        ]

    def __str__(self) -> str:
        return f"{self.agency_id} read {self.referral_id} to {self.last_read_at}"
