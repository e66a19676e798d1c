"""Error pages of the console (the API keeps its problem+json handlers)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from console.access import page_headers, public


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    """A form without a valid CSRF token (or an expired one): nothing was done."""
    return page_headers(render(request, "console/errors/csrf.html", status=403))


@public(methods=("GET", "POST"))
def not_found(request: HttpRequest, rest: str = "") -> HttpResponse:
    """Any /app/ path that names no screen."""
    return render(request, "console/errors/404.html", status=404)
