"""Shared model base: UUID primary keys and timestamps."""

from __future__ import annotations

import uuid

from django.db import models


class BaseModel(models.Model):
    """UUID public id plus created/updated timestamps (UTC, aware)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    created_at = models.DateTimeField(auto_now_add=True, db_index=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True


class IdempotencyRecord(models.Model):
    """The first successful result of a POST sent with an `Idempotency-Key`.

    Only ids and survivor-free bodies are stored: a replay re-renders the resource for the
    caller as it may see it now (DESIGN §7).
    """

    actor_key = models.CharField(max_length=80)
    key = models.CharField(max_length=200)
    method = models.CharField(max_length=8)
    path = models.CharField(max_length=300)
    fingerprint = models.CharField(max_length=64)
    status_code = models.PositiveSmallIntegerField()
    resource_id = models.CharField(max_length=64, blank=True)
    body = models.JSONField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["actor_key", "key"], name="idempotency_actor_key_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.actor_key} {self.key}"
