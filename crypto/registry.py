"""Registration point: what other apps keep sealed under the KEK ring (`crypto.platform_secrets`).

Key rotation must rewrap every such secret and `rotate_keys --status` must count them, but
crypto sits below the apps that own them, so it never names their models. Each app registers
its own secrets when it loads (its `AppConfig.ready`): a label, the rows, the column naming the
KEK, and (once per kind) the audited service that re-seals them under the primary KEK.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.db.models import QuerySet

from core.actor import Actor


@dataclass(frozen=True)
class SealedSecrets:
    """One column of KEK-sealed secrets owned by another app."""

    label: str  # as `rotate_keys --status` shows it, e.g. "webhook secrets"
    rows: Callable[[], QuerySet[Any]]
    key_field: str  # the column holding the KEK id
    rewrap: Callable[..., int] | None = None  # rewrap(actor=...) -> how many, audited


_registered: dict[str, SealedSecrets] = {}


def sealed_secrets_register(*entries: SealedSecrets) -> None:
    """Register (or replace, by label) secrets an app keeps sealed under the KEK ring."""
    for entry in entries:
        _registered[entry.label] = entry


def sealed_secrets() -> tuple[SealedSecrets, ...]:
    return tuple(_registered.values())


def sealed_secrets_rewrap(*, actor: Actor) -> int:
    """Run every registered rewrap service; the total re-sealed."""
    return sum(entry.rewrap(actor=actor) for entry in sealed_secrets() if entry.rewrap)
