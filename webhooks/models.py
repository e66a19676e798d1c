"""The transactional outbox: events written in the same transaction as the change."""

from __future__ import annotations

import uuid

from django.db import models

from core.models import BaseModel


class OutboxEvent(models.Model):
    """One event for one agency. `data` holds ids and types only, never survivor values.

    Delivery (subscriptions, attempts, retries) is built on top of this table by the worker.
    """

    id = models.BigAutoField(primary_key=True)
    event_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    agency = models.ForeignKey("agencies.Agency", on_delete=models.PROTECT, related_name="+")
    type = models.CharField(max_length=64)
    data = models.JSONField(default=dict)
    occurred_at = models.DateTimeField(auto_now_add=True)
    # Set by the worker once Delivery rows exist for every matching subscription.
    fanned_out_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["agency", "id"], name="outbox_agency_idx"),
            models.Index(
                fields=["id"],
                name="outbox_pending_fanout_idx",
                condition=models.Q(fanned_out_at__isnull=True),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.type} -> {self.agency_id}"


class Subscription(BaseModel):
    """An agency's endpoint for events. The signing secret is stored encrypted (see signing.py)."""

    agency = models.ForeignKey("agencies.Agency", on_delete=models.CASCADE, related_name="+")
    url = models.CharField(max_length=2000)
    event_types = models.JSONField(default=list)
    active = models.BooleanField(default=True)
    description = models.CharField(max_length=200, blank=True, default="")
    secret_key_id = models.CharField(max_length=64)
    secret_ciphertext = models.BinaryField()
    # Kept for a grace period after a rotation: deliveries are signed with both secrets.
    previous_secret_key_id = models.CharField(max_length=64, blank=True, default="")
    previous_secret_ciphertext = models.BinaryField(null=True, blank=True)
    previous_secret_expires_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["agency", "-created_at", "-id"], name="webhook_sub_agency_idx")
        ]

    def __str__(self) -> str:
        return f"subscription {self.id}"


class DeliveryStatus(models.TextChoices):
    PENDING = "pending"
    DELIVERED = "delivered"
    FAILED = "failed"


class Delivery(BaseModel):
    """One event for one subscription: retried until a 2xx or until `give_up_at`."""

    subscription = models.ForeignKey(
        Subscription, on_delete=models.CASCADE, related_name="deliveries"
    )
    event = models.ForeignKey(OutboxEvent, on_delete=models.PROTECT, related_name="deliveries")
    status = models.CharField(
        max_length=16, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING
    )
    attempt_count = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    give_up_at = models.DateTimeField()
    # The lease: a worker that claimed the row holds it until `locked_until`; if it dies, the
    # lease expires and another worker retries the delivery.
    locked_until = models.DateTimeField(null=True, blank=True)
    lock_token = models.UUIDField(null=True, blank=True)
    last_status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    last_error = models.CharField(max_length=64, blank=True, default="")
    delivered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["subscription", "event"], name="webhook_delivery_once"),
            models.CheckConstraint(
                condition=~models.Q(status="pending") | models.Q(next_attempt_at__isnull=False),
                name="webhook_delivery_pending_has_next",
            ),
        ]
        indexes = [
            models.Index(fields=["status", "next_attempt_at"], name="webhook_delivery_due_idx"),
            models.Index(
                fields=["subscription", "-created_at", "-id"], name="webhook_delivery_sub_idx"
            ),
            models.Index(fields=["lock_token"], name="webhook_delivery_lock_idx"),
        ]

    def __str__(self) -> str:
        return f"delivery {self.id} ({self.status})"


class DeliveryAttempt(models.Model):
    """One HTTP attempt. The response body is kept only as a short excerpt (<= 256 bytes)."""

    id = models.BigAutoField(primary_key=True)
    delivery = models.ForeignKey(Delivery, on_delete=models.CASCADE, related_name="attempts")
    attempted_at = models.DateTimeField()
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    error_class = models.CharField(max_length=64, blank=True, default="")
    duration_ms = models.PositiveIntegerField(default=0)
    response_excerpt = models.CharField(max_length=256, blank=True, default="")
    next_retry_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["delivery", "id"], name="webhook_attempt_delivery_idx")]

    def __str__(self) -> str:
        return f"attempt {self.id} -> {self.status_code or self.error_class}"


class ScheduledJob(models.Model):
    """When each scheduled job may next run: workers claim a run with one conditional UPDATE."""

    name = models.CharField(max_length=64, primary_key=True)
    next_run_at = models.DateTimeField()
    last_started_at = models.DateTimeField(null=True, blank=True)
    last_finished_at = models.DateTimeField(null=True, blank=True)
    last_result = models.IntegerField(null=True, blank=True)
    last_error = models.CharField(max_length=64, blank=True, default="")

    def __str__(self) -> str:
        return self.name
