"""The navigation each role sees (what it can open; the views check again)."""

from __future__ import annotations

from core.actor import Actor
from core.roles import CASE_ROLES, Role

_ITEMS: tuple[tuple[str, str, frozenset[str]], ...] = (
    ("Referrals", "/app/", frozenset(CASE_ROLES)),
    ("Clients", "/app/clients/", frozenset(CASE_ROLES)),
    ("Audit events", "/app/audit/", frozenset({Role.COMPLIANCE_OFFICER})),
    ("Integrity and export", "/app/audit/verify/", frozenset({Role.COMPLIANCE_OFFICER})),
    ("Charts", "/app/audit/charts/", frozenset({Role.COMPLIANCE_OFFICER})),
    ("Disclosures", "/app/audit/disclosures/", frozenset({Role.COMPLIANCE_OFFICER})),
    ("Staff", "/app/admin/users/", frozenset({Role.AGENCY_ADMIN})),
    ("Integrations", "/app/admin/integrations/", frozenset({Role.AGENCY_ADMIN})),
    ("Webhooks", "/app/admin/webhooks/", frozenset({Role.AGENCY_ADMIN})),
    ("Your account", "/app/account/", frozenset(Role.values)),
)


def nav_for(actor: Actor, path: str) -> list[dict[str, object]]:
    items = [(label, href) for label, href, roles in _ITEMS if actor.role in roles]
    current = max((href for _, href in items if path.startswith(href)), key=len, default="")
    return [{"label": label, "href": href, "current": href == current} for label, href in items]


def home_for(actor: Actor) -> str:
    """Where a person lands after signing in."""
    if actor.role in CASE_ROLES:
        return "/app/"
    if actor.role == Role.COMPLIANCE_OFFICER:
        return "/app/audit/"
    if actor.role == Role.AGENCY_ADMIN:
        return "/app/admin/users/"
    return "/app/account/"
