"""drf-spectacular extensions: how our authentication appears in the OpenAPI schema."""

from __future__ import annotations

from typing import Any

from drf_spectacular.extensions import OpenApiAuthenticationExtension


class BearerTokenScheme(OpenApiAuthenticationExtension):
    target_class = "api.auth.TokenAuthentication"
    name = "bearerAuth"

    def get_security_definition(self, auto_schema: Any) -> dict[str, str]:
        return {
            "type": "http",
            "scheme": "bearer",
            "bearerFormat": "JWT",
            "description": "Access token from /api/v1/auth/token or /api/v1/auth/client-token.",
        }


class EnrolmentTokenScheme(OpenApiAuthenticationExtension):
    target_class = "api.auth.EnrolmentAuthentication"
    name = "enrolmentStep"

    def get_security_definition(self, auto_schema: Any) -> dict[str, str]:
        return {
            "type": "http",
            "scheme": "bearer",
            "bearerFormat": "JWT",
            "description": (
                "The enrolment-step token from a 202 of /api/v1/auth/token: accepted only by "
                "/auth/mfa/enroll and /auth/mfa/confirm, for a few minutes."
            ),
        }
