"""Events for the agency's systems about account security changes (ids and enums only).

They go through the transactional outbox like every webhook event, so an MFA change and its
announcement commit together; the agency's admin subscribes to them (`user.mfa_changed`,
`agency.mfa_policy_changed`).
"""

from __future__ import annotations

import uuid

from accounts.models import User
from webhooks.services import outbox_emit


def mfa_changed(*, user: User, change: str, by: uuid.UUID | None) -> None:
    """`change`: enrolled, replaced, removed, recovery_codes_regenerated, reset."""
    if user.agency_id is None:
        return
    outbox_emit(
        type="user.mfa_changed",
        agency_ids=[user.agency_id],
        data={"user_id": str(user.id), "change": change, "by_user_id": str(by) if by else None},
    )


def mfa_policy_changed(*, agency_id: uuid.UUID | None, optional: bool, by: User) -> None:
    if agency_id is None:
        return
    outbox_emit(
        type="agency.mfa_policy_changed",
        agency_ids=[agency_id],
        data={"agency_id": str(agency_id), "mfa_optional": optional, "by_user_id": str(by.id)},
    )
