"""Template context every console page gets: the signed-in person and the idle-timeout figures."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest

from console.nav import nav_for
from core.roles import Role


def console(request: HttpRequest) -> dict[str, Any]:
    actor = getattr(request, "console_actor", None)
    return {
        "actor": actor,
        "nav": nav_for(actor, request.path) if actor else [],
        "actor_role_label": Role(actor.role).label if actor and actor.role else "",
        "idle_seconds": settings.CONSOLE_IDLE_SECONDS,
        "idle_minutes": settings.CONSOLE_IDLE_SECONDS // 60,
        "idle_warning_seconds": settings.CONSOLE_IDLE_WARNING_SECONDS,
    }
