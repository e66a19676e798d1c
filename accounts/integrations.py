"""Partner integrations: create (secret shown once), rotate with a grace period, revoke, and the
client-credentials check.

After a rotation the previous secret keeps working for `INTEGRATION_SECRET_GRACE_HOURS` (default
24) so the partner can deploy the new one without an outage; then only the new one does.
Revocation is immediate and final: the integration's access tokens stop on their next request
(every request re-reads the integration) and no secret works again.
"""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from accounts.models import Integration
from accounts.secrets import hash_secret, new_client_id, new_client_secret, secret_matches
from accounts.selectors import actor_for_integration, anonymous_actor
from agencies.models import Agency
from audit.services import INDEPENDENT, audit_record
from core.actor import Actor
from core.errors import AuthenticationFailed, Conflict, ValidationFailed
from core.roles import ALL_SCOPES


def _audit(actor: Actor, action: str, integration: Integration, reason: str = "") -> None:
    audit_record(
        actor=actor,
        action=action,
        target=integration,
        target_agency_id=integration.agency_id,
        reason=reason,
    )


def _scopes_valid(scopes: list[str]) -> list[str]:
    unknown = sorted(set(scopes) - ALL_SCOPES)
    if unknown:
        raise ValidationFailed(f"Unknown scopes: {', '.join(unknown)}.", field="scopes")
    return sorted(set(scopes))


@transaction.atomic
def integration_create(
    *, actor: Actor, agency: Agency, name: str, scopes: list[str]
) -> tuple[Integration, str]:
    """Register a partner system; the plain secret is returned once and never stored."""
    secret = new_client_secret()
    integration = Integration.objects.create(
        agency=agency,
        name=name,
        client_id=new_client_id(),
        secret_hash=hash_secret(secret),
        scopes=_scopes_valid(scopes),
    )
    _audit(actor, "integration.create", integration, reason=" ".join(integration.scopes))
    return integration, secret


def _live(integration: Integration) -> Integration:
    locked = Integration.objects.select_for_update().get(pk=integration.pk)
    if not locked.is_active:
        raise Conflict("This integration was revoked.", code="integration_revoked")
    return locked


@transaction.atomic
def integration_rotate_secret(*, actor: Actor, integration: Integration) -> tuple[Integration, str]:
    """A new secret, shown once; the current one stays valid for the grace period."""
    integration = _live(integration)
    secret, now = new_client_secret(), timezone.now()
    integration.previous_secret_hash = integration.secret_hash
    integration.previous_secret_expires_at = now + timedelta(
        hours=settings.INTEGRATION_SECRET_GRACE_HOURS
    )
    integration.secret_hash, integration.secret_rotated_at = hash_secret(secret), now
    integration.save(
        update_fields=[
            "secret_hash",
            "previous_secret_hash",
            "previous_secret_expires_at",
            "secret_rotated_at",
            "updated_at",
        ]
    )
    _audit(actor, "integration.rotate_secret", integration)
    return integration, secret


@transaction.atomic
def integration_revoke(*, actor: Actor, integration: Integration) -> Integration:
    """Off for good: no secret works and its access tokens fail on their next request."""
    integration = _live(integration)
    integration.is_active, integration.revoked_at = False, timezone.now()
    integration.previous_secret_hash, integration.previous_secret_expires_at = "", None
    integration.save(
        update_fields=[
            "is_active",
            "revoked_at",
            "previous_secret_hash",
            "previous_secret_expires_at",
            "updated_at",
        ]
    )
    _audit(actor, "integration.revoke", integration)
    return integration


def _secret_ok(integration: Integration, secret: str) -> str:
    """Which secret matched: "current", "previous" (within its grace period) or ""."""
    if secret_matches(secret, integration.secret_hash):
        return "current"
    grace = integration.previous_secret_expires_at
    if (
        grace
        and grace > timezone.now()
        and secret_matches(secret, integration.previous_secret_hash)
    ):
        return "previous"
    return ""


def integration_authenticate(*, client_id: str, client_secret: str) -> Integration:
    integration = Integration.objects.select_related("agency").filter(client_id=client_id).first()
    which = _secret_ok(integration, client_secret) if integration is not None else ""
    if integration is None or not (
        which and integration.is_active and integration.agency.is_active
    ):
        actor = (
            actor_for_integration(integration, auth_method="client_credentials")
            if integration
            else anonymous_actor(client_id)
        )
        audit_record(
            outcome="deny",
            using=INDEPENDENT,
            actor=actor,
            action="auth.failed",
            reason="bad_client_credentials",
        )
        raise AuthenticationFailed("Invalid client credentials.", code="invalid_client")
    with transaction.atomic():
        audit_record(
            actor=actor_for_integration(integration, auth_method="client_credentials"),
            action="auth.client_token",
            target=integration,
            reason="previous_secret" if which == "previous" else "",
        )
    return integration
