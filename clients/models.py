"""Client: the person being referred. Survivor fields are encrypted (see crypto/)."""

from __future__ import annotations

from django.db import models

from core.models import BaseModel


def _sealed() -> models.BinaryField:
    """One category's fields as sealed JSON: an envelope bound to (table, category, row, agency)."""
    return models.BinaryField(null=True, blank=True, editable=False)


class Client(BaseModel):
    """A person served by one agency (the owner). Erased clients keep only this row's ids.

    Every survivor value is inside an AES-256-GCM envelope under the client's own data key
    (crypto.DataKey): one `<category>_sealed` column per category of clients/categories.py.
    `search_index` is a truncated, agency-keyed blind index of name + date of birth;
    `name_index` the same of the names alone (the duplicate check without a date of birth).
    """

    agency = models.ForeignKey("agencies.Agency", on_delete=models.PROTECT, related_name="clients")
    created_by = models.ForeignKey(
        "accounts.User", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    erased_at = models.DateTimeField(null=True, blank=True)

    identity_sealed = _sealed()
    contact_sealed = _sealed()
    demographics_sealed = _sealed()
    safety_sealed = _sealed()
    immigration_sealed = _sealed()
    health_sealed = _sealed()
    # NULL (not "") when unsearchable or erased, so no two such clients "share" an index value.
    search_index = models.CharField(max_length=16, null=True, blank=True, editable=False)  # noqa: DJ001
    name_index = models.CharField(max_length=16, null=True, blank=True, editable=False)  # noqa: DJ001

    class Meta:
        indexes = [
            models.Index(fields=["agency", "-created_at", "-id"], name="client_agency_created_idx"),
            models.Index(fields=["agency", "search_index"], name="client_agency_search_idx"),
            models.Index(fields=["agency", "name_index"], name="client_agency_name_idx"),
        ]

    def __str__(self) -> str:
        return f"Client {self.pk}"

    @property
    def is_erased(self) -> bool:
        return self.erased_at is not None
