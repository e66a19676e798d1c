"""Where a webhook may be sent: https only, public addresses only (SSRF defence).

"Public" means globally routable unicast, and for IPv6 also: no IPv4 address it maps, embeds
or tunnels to (IPv4-mapped, IPv4-compatible, NAT64, 6to4, Teredo) is private or reserved, and
not site-local (fec0::/10), unique-local, link-local, multicast, documentation or NAT64 local-use.

Both rules relax only when `settings.WEBHOOK_ALLOW_PRIVATE` is on (the dev bootstrap and the
tests set it; production leaves it off): then `http` and private, loopback and link-local
addresses are accepted. `DEBUG` alone relaxes nothing. The check runs when a subscription is
saved and again at every delivery, and the sender connects to the very address that was
checked, so a DNS answer that changes in between (rebinding) cannot redirect a delivery.
"""

from __future__ import annotations

import ipaddress
import socket
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.conf import settings

from core.errors import ValidationFailed

MAX_URL_LENGTH = 2000


class DestinationRefused(Exception):
    """The URL or the address it resolves to is not allowed. The message names no address."""


@dataclass(frozen=True)
class Destination:
    scheme: str
    host: str
    port: int
    path: str  # path and query, as sent in the request line
    addresses: tuple[str, ...]  # the checked IPs; the sender connects only to these


def _allow_private() -> bool:
    return bool(getattr(settings, "WEBHOOK_ALLOW_PRIVATE", False))


def url_parse(url: str) -> tuple[str, str, int, str]:
    """(scheme, host, port, path) or DestinationRefused."""
    if len(url) > MAX_URL_LENGTH or any(c.isspace() for c in url):
        raise DestinationRefused("The URL is too long or contains whitespace.")
    parts = urlsplit(url)
    allowed = {"https", "http"} if _allow_private() else {"https"}
    if parts.scheme not in allowed:
        raise DestinationRefused("Only https URLs are accepted.")
    if parts.username or parts.password:
        raise DestinationRefused("Credentials in the URL are not accepted.")
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError as exc:
        raise DestinationRefused("The URL has an invalid port.") from exc
    if not parts.hostname:
        raise DestinationRefused("The URL has no host.")
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return parts.scheme, parts.hostname, port, path


# IPv6 prefixes that carry an IPv4 address in their low 32 bits (NAT64, RFC 6052 / RFC 8215).
_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")
_NAT64_LOCAL = ipaddress.IPv6Network("64:ff9b:1::/48")  # local-use translation: never global
_SITE_LOCAL = ipaddress.IPv6Network("fec0::/10")  # deprecated, still routed by some stacks


def embedded_ipv4(ip: ipaddress.IPv6Address) -> list[ipaddress.IPv4Address]:
    """Every IPv4 address an IPv6 address maps, embeds or tunnels to.

    IPv4-mapped (::ffff:a.b.c.d), IPv4-compatible (::a.b.c.d), NAT64 (64:ff9b::a.b.c.d),
    6to4 (2002:aabb:ccdd::) and Teredo (2001::/32: the server and the obfuscated client).
    """
    found: list[ipaddress.IPv4Address] = []
    if ip.ipv4_mapped is not None:
        found.append(ip.ipv4_mapped)
    packed = int(ip)
    if packed >> 32 == 0 and packed > 1:  # IPv4-compatible (:: and ::1 are handled as such)
        found.append(ipaddress.IPv4Address(packed & 0xFFFFFFFF))
    if ip in _NAT64 or ip in _NAT64_LOCAL:
        found.append(ipaddress.IPv4Address(packed & 0xFFFFFFFF))
    if ip.sixtofour is not None:
        found.append(ip.sixtofour)
    if ip.teredo is not None:
        found.extend(ip.teredo)
    return found


def _is_public(ip: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    if isinstance(ip, ipaddress.IPv6Address):
        if ip in _NAT64:  # a translated IPv4 address: as public as the one it carries
            return _is_public(ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF))
        if ip in _NAT64_LOCAL or ip in _SITE_LOCAL:
            return False
        if not all(_is_public(v4) for v4 in embedded_ipv4(ip)):
            return False
    return ip.is_global and not ip.is_multicast and not ip.is_reserved


def address_allowed(address: str) -> bool:
    """A public unicast address, and (IPv6) one that embeds no non-public IPv4 address.

    With `WEBHOOK_ALLOW_PRIVATE` (dev, tests) anything but multicast and unspecified passes.
    """
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    if _allow_private():
        return not ip.is_multicast and not ip.is_unspecified
    return _is_public(ip)


def _resolve(host: str, port: int) -> list[str]:
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise DestinationRefused("The host name does not resolve.") from exc
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


def destination_resolve(url: str) -> Destination:
    """Parse, resolve and check every address; refuse if any address is not allowed."""
    scheme, host, port, path = url_parse(url)
    addresses = _resolve(host, port)
    if not addresses or not all(address_allowed(a) for a in addresses):
        raise DestinationRefused("The host resolves to a private or reserved address.")
    return Destination(scheme=scheme, host=host, port=port, path=path, addresses=tuple(addresses))


def url_validate(url: str) -> str:
    """For services: the same checks, as a 400 naming the field."""
    try:
        destination_resolve(url)
    except DestinationRefused as exc:
        raise ValidationFailed(str(exc), field="url", code="webhook_url_refused") from exc
    return url
