"""Wrapped data keys. Plaintext keys never touch the database."""

from __future__ import annotations

from django.db import models

from core.models import BaseModel


class DataKey(BaseModel):
    """One client's data key (DEK), stored only wrapped by a KEK (AD = client id).

    Erasure destroys it: `wrapped` is overwritten with empty bytes and `destroyed_at` set,
    after which nothing encrypted under it can be read, by anyone, with any key.
    """

    client = models.OneToOneField(
        "clients.Client", on_delete=models.PROTECT, related_name="data_key"
    )
    kek_id = models.CharField(max_length=64)
    wrapped = models.BinaryField()
    destroyed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["kek_id", "id"], name="datakey_kek_idx")]

    def __str__(self) -> str:
        return f"DataKey {self.pk}"

    @property
    def is_destroyed(self) -> bool:
        return self.destroyed_at is not None


class IndexKey(BaseModel):
    """One agency's blind-index root key, wrapped by a KEK (AD = agency id).

    Per-index keys derive from it by HKDF. It is random per agency, so index values never
    match across agencies, and it is rewrapped (not changed) by KEK rotation.
    """

    agency = models.OneToOneField("agencies.Agency", on_delete=models.PROTECT, related_name="+")
    kek_id = models.CharField(max_length=64)
    wrapped = models.BinaryField()

    class Meta:
        indexes = [models.Index(fields=["kek_id", "id"], name="indexkey_kek_idx")]

    def __str__(self) -> str:
        return f"IndexKey {self.pk}"
