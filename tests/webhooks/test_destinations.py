"""SSRF: every IPv6 form that maps, embeds or tunnels to a non-public IPv4 address is refused,
at subscription and again before each send (issue 15 item 6)."""

from __future__ import annotations

import socket

import pytest

from webhooks import destinations
from webhooks.destinations import DestinationRefused, address_allowed, destination_resolve
from webhooks.models import DeliveryAttempt, Subscription

pytestmark = pytest.mark.django_db

# One literal per form; each hides a loopback, link-local (cloud metadata) or private address.
EMBEDDED_PRIVATE = {
    "ipv4_mapped": "::ffff:169.254.169.254",
    "ipv4_mapped_hex": "::ffff:a9fe:a9fe",
    "ipv4_compatible": "::7f00:1",
    "ipv4_compatible_private": "::10.0.0.1",
    "nat64_well_known": "64:ff9b::a9fe:a9fe",
    "nat64_well_known_loopback": "64:ff9b::127.0.0.1",
    "nat64_local_use": "64:ff9b:1::808:808",
    "sixtofour_metadata": "2002:a9fe:a9fe::",
    "sixtofour_loopback": "2002:7f00:1::1",
    "teredo": "2001:0:4136:e378:8000:63bf:3fff:fdd2",
    "site_local": "fec0::1",
    "unique_local": "fd12:3456:789a::1",
    "link_local": "fe80::1",
    "multicast": "ff0e::1",
    "documentation": "2001:db8::1",
    "loopback": "::1",
    "unspecified": "::",
    "ipv4_documentation": "192.0.2.10",
    "ipv4_shared": "100.64.0.1",
    "ipv4_multicast": "224.0.0.1",
    "ipv4_broadcast": "255.255.255.255",
}
PUBLIC = ["93.184.216.34", "2606:4700:4700::1111", "64:ff9b::808:808", "2002:808:808::1"]


@pytest.fixture
def production(settings):  # type: ignore[no-untyped-def]
    settings.WEBHOOK_ALLOW_PRIVATE = False


@pytest.mark.parametrize("form", sorted(EMBEDDED_PRIVATE))
def test_it_refuses_each_embedded_or_reserved_form(production, form):
    assert address_allowed(EMBEDDED_PRIVATE[form]) is False, EMBEDDED_PRIVATE[form]


@pytest.mark.parametrize("address", PUBLIC)
def test_it_accepts_public_addresses_including_translated_public_ones(production, address):
    assert address_allowed(address) is True


@pytest.mark.parametrize("form", sorted(EMBEDDED_PRIVATE))
def test_a_subscription_to_each_form_is_refused(production, api, adam, form):
    address = EMBEDDED_PRIVATE[form]
    host = f"[{address}]" if ":" in address else address
    body = {"url": f"https://{host}/hooks", "event_types": ["referral.requested"]}
    response = api(adam).post("/api/v1/webhooks", body, format="json")
    assert response.status_code == 400, (form, response.content)
    problem = response.json()
    assert problem["code"] == "webhook_url_refused"
    assert address not in problem["detail"]  # the refusal names no address
    assert Subscription.objects.count() == 0


@pytest.mark.parametrize("form", sorted(EMBEDDED_PRIVATE))
def test_a_name_that_resolves_to_each_form_is_refused(production, monkeypatch, form):
    address = EMBEDDED_PRIVATE[form]
    family = socket.AF_INET6 if ":" in address else socket.AF_INET

    def resolver(host, port, type=0):  # type: ignore[no-untyped-def]
        return [(family, socket.SOCK_STREAM, 6, "", (address, port))]

    monkeypatch.setattr(destinations.socket, "getaddrinfo", resolver)
    with pytest.raises(DestinationRefused):
        destination_resolve("https://hooks.partner.example/in")


@pytest.mark.parametrize("form", ["nat64_well_known", "sixtofour_metadata", "ipv4_compatible"])
def test_each_send_checks_the_address_again(
    settings, monkeypatch, adam, eastside, receiver, subscribe, form
):
    """Subscribed while the name was public; by the send it resolves to an embedded form."""
    from webhooks.services import outbox_emit
    from webhooks.worker import worker_drain

    subscribe(adam)
    outbox_emit(type="referral.status_changed", agency_ids=[eastside.id], data={"status": "x"})
    settings.WEBHOOK_ALLOW_PRIVATE = False
    address = EMBEDDED_PRIVATE[form]

    def resolver(host, port, type=0):  # type: ignore[no-untyped-def]
        return [(socket.AF_INET6, socket.SOCK_STREAM, 6, "", (address, port, 0, 0))]

    monkeypatch.setattr(destinations.socket, "getaddrinfo", resolver)
    worker_drain()
    assert receiver.received == []
    assert DeliveryAttempt.objects.get().error_class == "DestinationRefused"
