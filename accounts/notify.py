"""Events for the agency's systems about account security changes (ids and enums only).

Registration point: accounts sits below `webhooks`, so it never imports it; `webhooks`
registers its transactional outbox here at startup (`event_sink_register(outbox_emit)`). An
MFA change and its announcement then commit together; the agency's admin subscribes to
`user.mfa_changed` and `agency.mfa_policy_changed`. With no sink registered the change is
refused (fail closed) rather than made silently.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

from accounts.models import User

Sink = Callable[..., Any]  # sink(type=..., agency_ids=[...], data={...})
_sinks: list[Sink] = []


def event_sink_register(sink: Sink) -> None:
    """Called by the app that delivers events (webhooks) when it loads."""
    if sink not in _sinks:
        _sinks.append(sink)


def _emit(event_type: str, agency_id: uuid.UUID, data: dict[str, Any]) -> None:
    if not _sinks:
        raise RuntimeError(
            "accounts.notify: no event sink registered; is the webhooks app installed?"
        )
    for sink in _sinks:
        sink(type=event_type, agency_ids=[agency_id], data=data)


def mfa_changed(*, user: User, change: str, by: uuid.UUID | None) -> None:
    """`change`: enrolled, replaced, removed, recovery_codes_regenerated, reset."""
    if user.agency_id is None:
        return
    data = {"user_id": str(user.id), "change": change, "by_user_id": str(by) if by else None}
    _emit("user.mfa_changed", user.agency_id, data)


def mfa_policy_changed(*, agency_id: uuid.UUID | None, optional: bool, by: User) -> None:
    if agency_id is None:
        return
    data = {"agency_id": str(agency_id), "mfa_optional": optional, "by_user_id": str(by.id)}
    _emit("agency.mfa_policy_changed", agency_id, data)
