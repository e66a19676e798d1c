"""One HTTP POST to a checked address: short timeouts, no redirects, a tiny response excerpt."""

from __future__ import annotations

import http.client
import socket
import ssl
import time
from dataclasses import dataclass

from django.conf import settings

from webhooks.destinations import Destination

EXCERPT_BYTES = 256
USER_AGENT = "referral-hub-webhooks/1"


@dataclass(frozen=True)
class SendResult:
    status_code: int | None
    error_class: str
    duration_ms: int
    excerpt: str

    @property
    def ok(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


def _pinned_socket(destination: Destination, timeout: float) -> socket.socket:
    """A TCP connection to the first reachable checked address (never a fresh DNS answer)."""
    error: OSError = OSError("no address")
    for address in destination.addresses:
        try:
            return socket.create_connection((address, destination.port), timeout)
        except OSError as exc:
            error = exc
    raise error


class _PinnedHTTPConnection(http.client.HTTPConnection):
    def __init__(self, destination: Destination, timeout: float):
        super().__init__(destination.host, destination.port, timeout=timeout)
        self._destination = destination

    def connect(self) -> None:
        self.sock = _pinned_socket(self._destination, float(self.timeout or 5))


class _PinnedHTTPSConnection(http.client.HTTPSConnection):
    """Connects to a checked IP while verifying the certificate for the host name."""

    def __init__(self, destination: Destination, timeout: float):
        # The system trust store, or WEBHOOK_CA_FILE instead of it (tests, or a private PKI).
        # Certificates and host names are always verified.
        context = ssl.create_default_context(cafile=settings.WEBHOOK_CA_FILE or None)
        super().__init__(destination.host, destination.port, timeout=timeout, context=context)
        self._destination = destination

    def connect(self) -> None:
        sock = _pinned_socket(self._destination, float(self.timeout or 5))
        self.sock = self._context.wrap_socket(sock, server_hostname=self.host)  # type: ignore[attr-defined]


def _connection(destination: Destination, timeout: float) -> http.client.HTTPConnection:
    if destination.scheme == "https":
        return _PinnedHTTPSConnection(destination, timeout)
    return _PinnedHTTPConnection(destination, timeout)


def _excerpt(raw: bytes) -> str:
    text = raw[:EXCERPT_BYTES].decode("utf-8", errors="ignore")
    while len(text.encode()) > EXCERPT_BYTES:
        text = text[:-1]
    return text


def post(destination: Destination, *, body: bytes, headers: dict[str, str]) -> SendResult:
    """POST once. http.client never follows redirects: a 3xx is just a non-2xx outcome."""
    started = time.perf_counter()
    conn = _connection(destination, float(settings.WEBHOOK_TIMEOUT_SECONDS))
    name = f"[{destination.host}]" if ":" in destination.host else destination.host
    default_port = 443 if destination.scheme == "https" else 80
    host = name if destination.port == default_port else f"{name}:{destination.port}"
    all_headers = {
        "Host": host,
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        "Connection": "close",
        **headers,
    }
    try:
        conn.request("POST", destination.path, body=body, headers=all_headers)
        response = conn.getresponse()
        raw = response.read(EXCERPT_BYTES)
        result = SendResult(response.status, "", _ms(started), _excerpt(raw))
    except (OSError, http.client.HTTPException) as exc:
        result = SendResult(None, type(exc).__name__[:64], _ms(started), "")
    finally:
        conn.close()
    return result


def _ms(started: float) -> int:
    return int((time.perf_counter() - started) * 1000)
