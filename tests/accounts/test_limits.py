"""Sign-in limits: the (account, address) lockout, the address budget, proxies, Retry-After,
the operator's unlock (issue 14, Deliver 3). The shared stores and parallel guesses are in
test_limits_shared.py."""

from __future__ import annotations

import io

import pytest
from django.core.cache import cache
from django.core.management import call_command
from rest_framework.test import APIClient

from accounts import limits
from audit.models import AuditEvent
from referral_hub.middleware import client_address
from tests.conftest import PASSWORD

TOKEN = "/api/v1/auth/token"
WRONG = "wrong-password-x1"


class Clock:
    """The one thing we mock: time (accounts.limits reads time.time())."""

    def __init__(self) -> None:
        import time

        self.now = time.time()

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    c = Clock()
    monkeypatch.setattr(limits.time, "time", c)
    return c


def _from(address: str, forwarded: str | None = None) -> APIClient:
    extra = {"REMOTE_ADDR": address}
    if forwarded is not None:
        extra["HTTP_X_FORWARDED_FOR"] = forwarded
    return APIClient(**extra)


def _login(client: APIClient, username: str = "alice", password: str = PASSWORD):  # type: ignore[no-untyped-def]
    return client.post(TOKEN, {"username": username, "password": password}, format="json")


def _reasons() -> list[str]:
    events = AuditEvent.objects.filter(action="auth.failed").order_by("id")
    return list(events.values_list("reason", flat=True))


def test_nobody_can_lock_a_colleague_out_from_elsewhere(alice, settings):
    settings.LOGIN_FAILURE_LIMIT = 3
    attacker = _from("10.0.0.66")
    codes = [_login(attacker, password=WRONG).status_code for _ in range(10)]
    assert codes == [401] * 3 + [429] * 7
    # Alice, at her own desk, is not slowed at all (and her right password still works there).
    assert _login(_from("10.0.0.5")).status_code == 200
    assert _reasons() == ["bad_password"] * 3 + ["throttled"] * 7
    assert _login(attacker).status_code == 429  # the attacker's pair stays slowed


def test_the_pair_is_slowed_exponentially_and_a_success_starts_afresh(alice, settings, clock):
    settings.LOGIN_FAILURE_LIMIT = 2
    settings.LOGIN_BACKOFF_BASE_SECONDS, settings.LOGIN_BACKOFF_CAP_SECONDS = 30, 100
    client = _from("10.0.0.66")
    assert [_login(client, password=WRONG).status_code for _ in range(2)] == [401, 401]
    waits = []
    for _ in range(3):
        blocked = _login(client, password=WRONG)
        assert blocked.status_code == 429
        waits.append(int(blocked["Retry-After"]))
        clock.now += waits[-1]
        assert _login(client, password=WRONG).status_code == 401  # one more guess, then wait
    assert waits == [30, 60, 100]  # doubling, capped
    clock.now += 100
    assert _login(client).status_code == 200
    # A success forgets the pair's failures.
    assert [_login(client, password=WRONG).status_code for _ in range(3)] == [401, 401, 429]


def test_the_address_budget_spans_accounts_but_not_other_addresses(alice, bob, sam, settings):
    settings.LOGIN_FAILURE_IP_LIMIT = 3
    sprayer = _from("10.0.0.66")
    codes = [_login(sprayer, who, WRONG).status_code for who in ("alice", "bob", "sam", "erin")]
    assert codes == [401, 401, 401, 429]
    blocked = _login(sprayer, "sam")
    assert blocked.status_code == 429 and int(blocked["Retry-After"]) > 0
    assert _login(_from("10.0.0.7"), "sam").status_code == 200


def test_successes_do_not_use_up_the_address_budget(alice, settings):
    settings.LOGIN_FAILURE_IP_LIMIT = 2
    office = _from("10.0.0.5")
    assert [_login(office).status_code for _ in range(5)] == [200] * 5


def test_a_spoofed_x_forwarded_for_is_ignored(alice, settings):
    settings.LOGIN_FAILURE_LIMIT = 2
    codes = [
        _login(_from("10.0.0.66", forwarded=f"198.51.100.{n}"), password=WRONG).status_code
        for n in range(5)
    ]
    assert codes == [401, 401, 429, 429, 429]
    ips = set(AuditEvent.objects.filter(action="auth.failed").values_list("ip", flat=True))
    assert ips == {"10.0.0.66"}
    # Nor does it split the anonymous request throttle into fresh buckets.
    settings.THROTTLE_ANON_RATE = "2/min"
    cache.clear()
    refresh = [
        _from("10.0.0.66", forwarded=f"203.0.113.{n}")
        .post("/api/v1/auth/token/refresh", {"refresh": "x"}, format="json")
        .status_code
        for n in range(3)
    ]
    assert refresh == [401, 401, 429]


def test_behind_one_trusted_proxy_the_client_is_the_hop_it_saw(alice, bob, settings):
    settings.TRUSTED_PROXY_COUNT = 1
    settings.LOGIN_FAILURE_LIMIT = 2
    proxy = "10.9.9.9"

    def via_proxy(client_ip: str, spoofed: str) -> APIClient:
        return _from(proxy, forwarded=f"{spoofed}, {client_ip}")

    codes = [
        _login(via_proxy("203.0.113.7", f"1.2.3.{n}"), password=WRONG).status_code for n in range(3)
    ]
    assert codes == [401, 401, 429]  # the entries the client wrote do not help it
    assert _login(via_proxy("198.51.100.2", "203.0.113.7")).status_code == 200  # another person
    ips = set(AuditEvent.objects.values_list("ip", flat=True))
    assert "203.0.113.7" in ips and proxy not in ips and "1.2.3.0" not in ips


@pytest.mark.parametrize(
    ("trusted", "forwarded", "expected"),
    [
        (0, "1.1.1.1", "10.0.0.1"),  # the default never reads the header
        (1, "1.1.1.1, 2.2.2.2", "2.2.2.2"),
        (2, "1.1.1.1, 2.2.2.2, 3.3.3.3", "2.2.2.2"),
        (2, "3.3.3.3", "10.0.0.1"),  # fewer hops than proxies: not through them, use the peer
        (1, "", "10.0.0.1"),
    ],
)
def test_client_address_counts_hops_from_the_right(settings, trusted, forwarded, expected):
    settings.TRUSTED_PROXY_COUNT = trusted
    meta = {"REMOTE_ADDR": "10.0.0.1", "HTTP_X_FORWARDED_FOR": forwarded}
    assert client_address(meta) == expected


def test_every_429_carries_retry_after(api, alice, settings):
    settings.LOGIN_FAILURE_LIMIT = 1
    client = _from("10.0.0.66")
    _login(client, password=WRONG)
    locked = _login(client)
    settings.LOGIN_FAILURE_IP_LIMIT = 0
    address = _login(_from("10.0.0.67"))
    settings.THROTTLE_ACTOR_RATE = "1/min"
    cache.clear()
    me = api(alice)
    me.get("/api/v1/me")
    throttled = me.get("/api/v1/me")
    for response in (locked, address, throttled):
        assert response.status_code == 429, response.content
        assert int(response["Retry-After"]) >= 1
        assert response["Content-Type"] == "application/problem+json"
    assert locked.json()["code"] == address.json()["code"] == "login_throttled"


def test_the_operator_unlocks_an_account_or_an_address(alice, bob, settings):
    settings.LOGIN_FAILURE_LIMIT = 2
    settings.LOGIN_FAILURE_IP_LIMIT = 3
    client = _from("10.0.0.66")
    for _ in range(2):
        _login(client, password=WRONG)
    assert _login(client).status_code == 429
    call_command("signin_unlock", "alice", stdout=io.StringIO())
    assert _login(client).status_code == 200
    for _ in range(2):
        _login(client, "bob", WRONG)
    _login(client, "carol-unknown", WRONG)
    assert _login(client).status_code == 429  # the address budget (3) is spent
    call_command("signin_unlock", address="10.0.0.66", stdout=io.StringIO())
    assert _login(client).status_code == 200
    unlocks = AuditEvent.objects.filter(action="auth.unlock").order_by("id")
    assert [(e.actor_id, e.object_id, e.reason) for e in unlocks] == [
        ("operator", "alice", ""),
        ("operator", "", "address"),
    ]
