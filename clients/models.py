"""Client: the person being referred. Survivor fields are encrypted (see crypto/)."""

from __future__ import annotations

from django.db import models

from core.models import BaseModel


class Client(BaseModel):
    """A person served by one agency (the owner). Erased clients keep only this row's ids."""

    agency = models.ForeignKey("agencies.Agency", on_delete=models.PROTECT, related_name="clients")
    created_by = models.ForeignKey(
        "accounts.User", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    erased_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["agency", "-created_at", "-id"], name="client_agency_created_idx")
        ]

    def __str__(self) -> str:
        return f"Client {self.pk}"

    @property
    def is_erased(self) -> bool:
        return self.erased_at is not None
