"""KEK rotation: rewrap data keys and index keys under the primary KEK (data is untouched).

Online and resumable: each batch is its own short transaction that locks only its rows
(`SKIP LOCKED` on PostgreSQL), so the API keeps serving, and a rerun picks up whatever is
not yet under the primary. Plaintext keys exist only inside the batch.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.apps import apps
from django.db import models, transaction
from django.utils import timezone

from crypto.blind import root_context
from crypto.datakeys import wrap_context
from crypto.models import DataKey, IndexKey
from crypto.providers import get_provider


@dataclass(frozen=True)
class Wrapped:
    """One table of KEK-wrapped keys that rotation rewraps."""

    model: Any  # DataKey or IndexKey
    context: Callable[[Any], bytes]
    live: dict[str, Any]

    def pending(self, primary: str) -> models.QuerySet[Any]:
        qs: models.QuerySet[Any] = self.model.objects.filter(**self.live).exclude(kek_id=primary)
        return qs


WRAPPED = (
    Wrapped(DataKey, lambda row: wrap_context(row.client_id), {"destroyed_at__isnull": True}),
    Wrapped(IndexKey, lambda row: root_context(row.agency_id), {}),
)


def pending_count() -> int:
    primary = get_provider().primary_id()
    return sum(w.pending(primary).count() for w in WRAPPED)


def rewrap_batch(batch_size: int = 200) -> int:
    """Rewrap up to `batch_size` keys not under the primary KEK; return how many were done."""
    provider = get_provider()
    primary = provider.primary_id()
    done = 0
    for wrapped in WRAPPED:
        with transaction.atomic():
            rows = list(
                wrapped.pending(primary)
                .select_for_update(skip_locked=True)
                .order_by("id")[: batch_size - done]
            )
            now = timezone.now()
            for row in rows:
                ctx = wrapped.context(row)
                key = provider.unwrap(bytes(row.wrapped), context=ctx)
                row.kek_id, row.wrapped = provider.wrap(key, context=ctx)
                row.updated_at = now
            wrapped.model.objects.bulk_update(rows, ["kek_id", "wrapped", "updated_at"])
        done += len(rows)
        if done >= batch_size:
            break
    return done


def kek_usage() -> dict[str, Counter[str]]:
    """{kek id: {"data keys": n, "index keys": n, "webhook secrets": n}} for everything live."""
    usage: dict[str, Counter[str]] = {}
    for label, qs, field in _users():
        for kek_id, n in (
            qs.values_list(field).annotate(n=models.Count("pk")).values_list(field, "n")
        ):
            if kek_id:
                usage.setdefault(kek_id, Counter())[label] += n
    return usage


def _users() -> list[tuple[str, models.QuerySet[Any], str]]:
    users: list[tuple[str, models.QuerySet[Any], str]] = [
        ("data keys", DataKey.objects.filter(destroyed_at__isnull=True), "kek_id"),
        ("index keys", IndexKey.objects.all(), "kek_id"),
    ]
    try:  # webhook signing secrets are sealed under the KEK too (webhooks/signing.py)
        subscription = apps.get_model("webhooks", "Subscription")
        users.append(("webhook secrets", subscription.objects.all(), "secret_key_id"))
        users.append(
            ("webhook secrets (previous)", subscription.objects.all(), "previous_secret_key_id")
        )
    except LookupError:
        pass
    user = apps.get_model("accounts", "User")  # TOTP seeds (crypto.platform_secrets)
    users.append(("TOTP secrets", user.objects.exclude(totp_key_id=""), "totp_key_id"))
    pending = user.objects.exclude(totp_pending_key_id="")
    users.append(("TOTP secrets (pending)", pending, "totp_pending_key_id"))
    return users
