"""Who may open a console screen: deny by default, one decorator per view.

Every console view is wrapped by `screen(...)`, which names the roles allowed (a test walks the
URLconf and fails on a view without it). The wrapper also turns the domain's refusals into
pages (each audited as `authz.denied`, as the API does): `NotFound` (missing and not-yours
alike) into the 404 page, `PermissionDenied` into 403,
and marks every response `no-store` (survivor data never rests in a browser cache) and
`Vary: HX-Request` (a partial never stands in for a page), `Referrer-Policy: same-origin`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from functools import wraps
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from audit.denials import audit_denied
from core.actor import Actor
from core.errors import ApplicationError, NotFound, PermissionDenied
from core.roles import CASE_ROLES, Role

CASE = tuple(sorted(CASE_ROLES))
SUPERVISOR = (Role.SUPERVISOR,)
COMPLIANCE = (Role.COMPLIANCE_OFFICER,)
ADMIN = (Role.AGENCY_ADMIN,)
EVERYONE = tuple(Role.values)
PUBLIC = ()  # the sign-in pages only: marked explicitly, never by omission

View = Callable[..., HttpResponse]


def page_headers(response: HttpResponse) -> HttpResponse:
    response["Cache-Control"] = "no-store"
    response["Vary"] = "HX-Request, Cookie"
    # `no-referrer` (the API's) makes browsers send `Origin: null` on form posts, which Django's
    # CSRF check refuses; `same-origin` still sends nothing to other sites.
    response["Referrer-Policy"] = "same-origin"
    return response


def refusal(request: HttpRequest, error: ApplicationError) -> HttpResponse:
    """The page for a domain refusal (never names survivor data: messages never do)."""
    template = {404: "console/errors/404.html", 403: "console/errors/403.html"}.get(
        error.status, "console/errors/refused.html"
    )
    return render(request, template, {"error": error}, status=error.status)


def _signed_out(request: HttpRequest) -> HttpResponse:
    target = "/app/?timeout=1" if getattr(request, "console_timed_out", False) else "/app/"
    if getattr(request, "htmx", False):
        response = HttpResponse(status=204)
        response["HX-Redirect"] = target
        return response
    return redirect(target)


def screen(roles: Iterable[str], *, methods: Iterable[str] = ("GET",)) -> Callable[[View], View]:
    """Allow `roles` (users only) to call the view as `view(request, actor, **kwargs)`."""
    allowed = frozenset(roles)

    def wrap(view: View) -> View:
        @wraps(view)
        def inner(request: HttpRequest, **kwargs: Any) -> HttpResponse:
            actor: Actor | None = getattr(request, "console_actor", None)
            if actor is None:
                return page_headers(_signed_out(request))
            try:
                if not actor.has_role(*allowed):
                    raise PermissionDenied()
                response = view(request, actor, **kwargs)
            except (NotFound, PermissionDenied) as error:
                # As through the API: a refused object access is `authz.denied`, audited on the
                # independent connection (it survives the request's rollback).
                audit_denied(actor=actor, reason=error.code, target=error.target, path_ids=kwargs)
                response = refusal(request, error)
            return page_headers(response)

        inner.console_roles = allowed  # type: ignore[attr-defined]
        return require_http_methods(list(methods))(inner)

    return wrap


def public(*, methods: Iterable[str] = ("GET",)) -> Callable[[View], View]:
    """A page anyone may open (sign-in, its second step, the 404 page)."""

    def wrap(view: View) -> View:
        @wraps(view)
        def inner(request: HttpRequest, **kwargs: Any) -> HttpResponse:
            return page_headers(view(request, **kwargs))

        inner.console_roles = PUBLIC  # type: ignore[attr-defined]
        return require_http_methods(list(methods))(inner)

    return wrap
