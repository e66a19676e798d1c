"""Permission classes. The default denies; each view names what it allows."""

from __future__ import annotations

from typing import Any

from rest_framework.permissions import BasePermission
from rest_framework.request import Request

from core.actor import Actor


class DenyAll(BasePermission):
    """The default: a view that forgot to declare permissions serves nobody."""

    def has_permission(self, request: Request, view: Any) -> bool:
        return False


class Authenticated(BasePermission):
    """Any authenticated user or integration."""

    def has_permission(self, request: Request, view: Any) -> bool:
        return isinstance(request.user, Actor) and request.user.kind in {"user", "integration"}


def allow(*, roles: tuple[str, ...] = (), scope: str | None = None) -> type[BasePermission]:
    """Users holding one of `roles`, or integrations holding `scope`; nobody else."""

    class RoleOrScope(BasePermission):
        message = "Your role or integration scopes do not allow this action."

        def has_permission(self, request: Request, view: Any) -> bool:
            actor = request.user
            return isinstance(actor, Actor) and actor.may(roles=roles, scope=scope)

    RoleOrScope.__name__ = f"Allow_{'_'.join(roles) or 'none'}_{scope or 'none'}"
    return RoleOrScope
