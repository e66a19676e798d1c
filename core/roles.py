"""Roles and integration scopes (DESIGN §4 User)."""

from __future__ import annotations

from django.db import models


class Role(models.TextChoices):
    CASEWORKER = "caseworker", "Caseworker"
    SUPERVISOR = "supervisor", "Supervisor"
    AGENCY_ADMIN = "agency_admin", "Agency administrator"
    COMPLIANCE_OFFICER = "compliance_officer", "Compliance officer"


class Scope(models.TextChoices):
    CLIENTS_READ = "clients:read"
    CLIENTS_WRITE = "clients:write"
    REFERRALS_READ = "referrals:read"
    REFERRALS_WRITE = "referrals:write"
    CONSENT_WRITE = "consent:write"
    AUDIT_READ = "audit:read"
    WEBHOOKS_WRITE = "webhooks:write"
    DIRECTORY_WRITE = "directory:write"  # a recipient's system reports its programs' capacity


# Roles that may see survivor (client) data of their own agency.
CASE_ROLES = frozenset({Role.CASEWORKER, Role.SUPERVISOR})
ALL_SCOPES = frozenset(Scope.values)
