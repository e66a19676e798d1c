"""Per-user and per-integration request throttling."""

from __future__ import annotations

import pytest
from django.core.cache import cache


@pytest.fixture
def tight_rates(settings):  # type: ignore[no-untyped-def]
    settings.THROTTLE_ACTOR_RATE, settings.THROTTLE_ANON_RATE = "3/min", "2/min"
    cache.clear()
    yield
    cache.clear()


def test_each_user_has_its_own_bucket(api, alice, bob, tight_rates):
    client = api(alice)
    codes = [client.get("/api/v1/me").status_code for _ in range(4)]
    assert codes == [200, 200, 200, 429]
    limited = client.get("/api/v1/me")
    assert limited.json()["code"] == "too_many_requests"
    assert int(limited["Retry-After"]) > 0
    assert api(bob).get("/api/v1/me").status_code == 200


def test_integrations_are_throttled_too(api, eastside, make_integration, tight_rates):
    client = api(make_integration(eastside, scopes=["referrals:read"]))
    assert [client.get("/api/v1/me").status_code for _ in range(4)][-1] == 429


def test_anonymous_callers_share_a_bucket_per_address(anon, tight_rates):
    codes = [anon.post("/api/v1/auth/token", {}, format="json").status_code for _ in range(3)]
    assert codes == [400, 400, 429]
