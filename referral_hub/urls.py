"""Top-level routes: health checks, the OpenAPI schema and docs, and /api/v1/.

No API path ends in a slash. Anything else under /api/ reaches `api_not_found`: a problem+json
404 that says why (a trailing slash, an id that is not a UUID), never an HTML page.
"""

from __future__ import annotations

from django.urls import include, path, re_path
from drf_spectacular.views import (
    SpectacularAPIView,
    SpectacularRedocView,
    SpectacularSwaggerSplitView,
)

from api.errors import api_not_found
from referral_hub import health

urlpatterns = [
    path("", health.index, name="index"),
    path("healthz", health.healthz, name="healthz"),
    path("readyz", health.readyz, name="readyz"),
    path("api/schema", SpectacularAPIView.as_view(), name="schema"),
    path(
        "api/docs",
        SpectacularSwaggerSplitView.as_view(url_name="schema", template_name="api/swagger_ui.html"),
        name="swagger-ui",
    ),
    path(
        "api/redoc",
        SpectacularRedocView.as_view(url_name="schema", template_name="api/redoc.html"),
        name="redoc",
    ),
    path("api/v1/", include("api.urls")),
    re_path(r"^api/(?P<rest>.*)$", api_not_found, name="api-not-found"),
    path("app/", include("console.urls")),  # the people's web console (docs/console.md)
]

handler400 = "api.errors.handler400"
handler403 = "api.errors.handler403"
handler404 = "api.errors.handler404"
handler500 = "api.errors.handler500"
