"""`authz.denied`: refused object access by an authenticated caller, audited independently."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from audit.services import INDEPENDENT, audit_record
from core.actor import Actor

DENIAL_CODES = ("not_found", "permission_denied")


def _target_from_path(path_ids: Mapping[str, Any]) -> tuple[str, Any] | None:
    """`{"client_id": UUID}` -> `("client", UUID)`: the innermost id in the route."""
    ids = [(name.removesuffix("_id"), value) for name, value in path_ids.items()]
    return ids[-1] if ids else None


def audit_denied(
    *,
    actor: Actor,
    reason: str,
    target: tuple[str, Any] | None = None,
    path_ids: Mapping[str, Any] | None = None,
) -> None:
    """Record an `authz.denied` event that survives the request's rollback.

    `target` comes from the error (`NotFound(target=("client", id))`); without one the route's
    path ids name the object. The route template itself is in the event's `route` field.
    """
    if not actor.is_authenticated:
        return
    audit_record(
        actor=actor,
        action="authz.denied",
        target=target or _target_from_path(path_ids or {}),
        outcome="deny",
        reason=reason,
        using=INDEPENDENT,
    )
