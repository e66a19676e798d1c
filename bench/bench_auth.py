"""Cost of authentication: the same directory read with a JWT and without one (in-process).

Both twins are throttled (every API call is: per actor, or per address when anonymous), with
the counter in process memory so that only authentication differs.
"""

from __future__ import annotations

from typing import Any

from bench.harness import interleaved, ready, row


def run() -> list[dict[str, Any]]:
    vendor = ready()
    from django.test import Client
    from django.urls import path
    from rest_framework.permissions import AllowAny
    from rest_framework_simplejwt.authentication import JWTAuthentication

    from accounts.models import TokenFamily, User
    from agencies.models import Agency, Program
    from api import tokens
    from api.v1.agencies import AgencyDetailApi

    agency = Agency.objects.create(name="Bench Agency", kind="other")
    Program.objects.create(agency=agency, name="P", service_type="other")
    user = User.objects.create_user(
        username="bench", password=None, agency=agency, role="caseworker"
    )
    family = TokenFamily.objects.create(user=user)
    bearer = f"Bearer {tokens.user_access(user, family)}"

    class OpenAgencyDetail(AgencyDetailApi):
        """Bench-only twin: the same view without authentication. Still throttled, as every
        anonymous API call is (per address): the pair then differs by authentication alone."""

        authentication_classes: list[type] = []
        permission_classes = [AllowAny]

    class UnthrottledAgencyDetail(OpenAgencyDetail):
        """Reference only: no authentication and no throttle (the baseline before issue 19,
        which charged the JWT side with the throttle counter's write as well)."""

        throttle_classes: list[type] = []

    from bench import bench_urls

    class StockJwtAgencyDetail(OpenAgencyDetail):
        """Bench-only twin: simplejwt's stock authentication (ORM user lookup) for comparison."""

        authentication_classes = [JWTAuthentication]

    bench_urls.urlpatterns[:] = [
        path("open/<uuid:agency_id>/", OpenAgencyDetail.as_view()),
        path("bare/<uuid:agency_id>/", UnthrottledAgencyDetail.as_view()),
        path("stock/<uuid:agency_id>/", StockJwtAgencyDetail.as_view()),
        path("jwt/<uuid:agency_id>/", AgencyDetailApi.as_view()),
    ]
    client = Client()
    open_url, jwt_url = f"/open/{agency.id}/", f"/jwt/{agency.id}/"

    def open_read() -> None:
        assert client.get(open_url).status_code == 200

    def bare_read() -> None:
        assert client.get(f"/bare/{agency.id}/").status_code == 200

    def stock_read() -> None:
        assert client.get(f"/stock/{agency.id}/", HTTP_AUTHORIZATION=bearer).status_code == 200

    def jwt_read() -> None:
        assert client.get(jwt_url, HTTP_AUTHORIZATION=bearer).status_code == 200

    from django.test.utils import override_settings

    # The throttle counter in process memory for both twins: the pair then differs by
    # authentication alone. The counter store's own cost (database cache, Redis) is
    # `bench_limits`' figure; with the database cache its durable write per request swamps
    # everything else when the disk is busy.
    memory = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    with override_settings(ROOT_URLCONF="bench.bench_urls", CACHES=memory):
        # Fifteen short rounds rather than three long ones: the twins differ by a few hundred
        # microseconds a request, and on this shared VM a burst of other work lasting a second
        # or two could land on one twin's long round and move the median.
        rates = interleaved(
            {"open": open_read, "bare": bare_read, "stock": stock_read, "jwt": jwt_read},
            rounds=15,
            seconds=0.5,
        )
    ratio = rates["jwt"] / rates["open"]
    return [
        row("Auth", f"unauthenticated agency read ({vendor})", rates["open"], "req/s"),
        row(
            "Auth",
            f"JWT-authenticated agency read ({vendor})",
            rates["jwt"],
            "req/s",
            baseline="unauthenticated",
            ratio=ratio,
            target=">= 0.90",  # issue 19
            note="one query resolves user, agency and token family",
        ),
        row(
            "Auth",
            f"JWT read vs unauthenticated AND unthrottled ({vendor})",
            rates["jwt"],
            "req/s",
            baseline="unauthenticated, no throttle",
            ratio=rates["jwt"] / rates["bare"],
            note="reference: the twin without a throttle (the baseline before issue 19)",
        ),
        row(
            "Auth",
            f"simplejwt stock JWTAuthentication read ({vendor})",
            rates["stock"],
            "req/s",
            baseline="unauthenticated",
            ratio=rates["stock"] / rates["open"],
            note="ORM user lookup; no agency or family check (reference only)",
        ),
    ]
