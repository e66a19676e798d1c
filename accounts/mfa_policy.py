"""Who must use MFA: the platform's roles (`MFA_REQUIRED_ROLES`), unless the agency opted out.

In production settings every role that can see survivor data or the trail requires MFA
(caseworker, supervisor, compliance officer, agency admin). An agency's admin may make it
optional for their agency, explicitly, audited and announced; a user whose MFA was reset must
enrol again whatever the policy says.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import transaction

from accounts import notify
from accounts.models import MfaPolicy, User
from audit.services import audit_record
from core.actor import Actor


def agency_mfa_optional(agency_id: uuid.UUID | None) -> bool:
    if agency_id is None:
        return False
    return MfaPolicy.objects.filter(agency_id=agency_id, mfa_optional=True).exists()


def mfa_required_for(user: User) -> bool:
    """True if this user may not sign in without a confirmed second factor."""
    if user.mfa_enrol_required:
        return True
    if user.role not in settings.MFA_REQUIRED_ROLES:
        return False
    return not agency_mfa_optional(user.agency_id)


@transaction.atomic
def mfa_policy_set(*, actor: Actor, user: User, optional: bool) -> MfaPolicy:
    """The agency admin's explicit choice for their agency (re-authenticated by the caller)."""
    assert user.agency_id is not None, "platform staff have no agency policy"
    policy, _made = MfaPolicy.objects.select_for_update().get_or_create(agency_id=user.agency_id)
    policy.mfa_optional, policy.changed_by = optional, user
    policy.save()
    audit_record(
        actor=actor,
        action="mfa.policy",
        target=("agencies.agency", user.agency_id),
        target_agency_id=user.agency_id,
        reason="mfa_optional" if optional else "mfa_required",
    )
    notify.mfa_policy_changed(agency_id=user.agency_id, optional=optional, by=user)
    return policy
