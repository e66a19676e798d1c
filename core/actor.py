"""Who is acting: a user, a partner integration, or the platform itself."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field

from core.roles import CASE_ROLES, Role


@dataclass(frozen=True)
class Actor:
    """The authenticated caller, resolved from the database on every request."""

    kind: str  # "user" | "integration" | "system"
    agency_id: uuid.UUID | None
    user_id: uuid.UUID | None = None
    integration_id: uuid.UUID | None = None
    role: str | None = None
    scopes: frozenset[str] = field(default_factory=frozenset)
    auth_method: str = ""
    username: str = ""

    @property
    def id(self) -> uuid.UUID | None:
        return self.user_id or self.integration_id

    @property
    def is_authenticated(self) -> bool:
        return self.kind in {"user", "integration"}

    @property
    def is_integration(self) -> bool:
        return self.kind == "integration"

    def has_role(self, *roles: str) -> bool:
        return self.kind == "user" and self.role in roles

    def has_scope(self, scope: str) -> bool:
        return self.kind == "integration" and scope in self.scopes

    def may(self, *, roles: frozenset[str] | set[str] | tuple[str, ...], scope: str | None) -> bool:
        """True if a user holds one of `roles` or an integration holds `scope`."""
        if self.kind == "user":
            return self.role in roles
        if self.kind == "integration":
            return scope is not None and scope in self.scopes
        return False

    @property
    def sees_client_data(self) -> bool:
        return self.kind == "user" and self.role in CASE_ROLES

    @property
    def chain(self) -> str:
        """Audit chain name: the acting agency, or `platform`."""
        return str(self.agency_id) if self.agency_id else "platform"


SYSTEM = Actor(kind="system", agency_id=None, auth_method="system", username="system")


def system_actor(name: str = "system") -> Actor:
    return Actor(kind="system", agency_id=None, auth_method="system", username=name)


__all__ = ["SYSTEM", "Actor", "Role", "system_actor"]
