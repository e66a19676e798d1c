"""Where a webhook may be sent: https only, public addresses only (SSRF defence).

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


def address_allowed(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    if _allow_private():
        return not ip.is_multicast and not ip.is_unspecified
    return ip.is_global and not ip.is_multicast


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
