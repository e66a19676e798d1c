"""The registry of audit actions: every `action` an event can carry.

The events API and the console refuse a filter on an action not listed here (a typo must not
read as "nobody did it"), and `tests/audit/test_actions.py` fails when code records an action
that is not registered. Add new actions here, in the section of the app that records them.
"""

from __future__ import annotations

ACTIONS: frozenset[str] = frozenset(
    {
        # accounts: sign-in, sessions, staff, MFA, integrations
        "auth.login", "auth.logout", "auth.logout_everywhere", "auth.refresh",
        "auth.refresh_reuse", "auth.failed", "auth.unlock", "auth.session_revoke",
        "auth.client_token",
        "user.create", "user.invite", "user.activate", "user.deactivate", "user.role_change",
        "user.password_reset", "user.password_set", "user.password_change",
        "mfa.enrol_start", "mfa.enrol", "mfa.replace_start", "mfa.replace", "mfa.remove",
        "mfa.recovery_codes", "mfa.reset", "mfa.secret_rewrap", "mfa.policy",
        "integration.create", "integration.rotate_secret", "integration.revoke",
        # agencies and the directory
        "agency.create", "program.create", "program.update", "program.capacity_changed",
        "program.capacity_confirmed", "program.assure", "program.availability",
        # clients, consent, referrals
        "client.create", "client.read", "client.update", "client.list", "client.search",
        "client.erase", "client.disclosures.read", "client.reindex",
        "consent.grant", "consent.refuse", "consent.revoke", "consent.expire", "consent.read",
        "referral.create", "referral.read", "referral.list", "referral.transition",
        "referral.assign", "referral.remind", "referral.message", "referral.messages.read",
        "referral.history.read", "referral.consent_attach", "disclosure",
        # reports, webhooks, keys
        "report.referrals",
        "webhook.create", "webhook.update", "webhook.delete", "webhook.rotate_secret",
        "webhook.redeliver", "webhook.secret_rewrap",
        "key.rotate", "key.retire", "crypto.decrypt_failed",
        # access control and the audit trail itself
        "authz.denied",
        "audit.export", "audit.checkpoint", "audit.inconsistent", "audit.archive",
    }
)  # fmt: skip


def known_actions() -> list[str]:
    """Sorted, for error messages and the API schema."""
    return sorted(ACTIONS)
