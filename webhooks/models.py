"""The transactional outbox: events written in the same transaction as the change."""

from __future__ import annotations

import uuid

from django.db import models


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

    class Meta:
        indexes = [models.Index(fields=["agency", "id"], name="outbox_agency_idx")]

    def __str__(self) -> str:
        return f"{self.type} -> {self.agency_id}"
