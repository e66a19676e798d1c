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


class _PinnedHTTPSConnection(http.client.HTTPSConnection):
    """Connects to the checked IP while verifying the certificate for the host name."""

    def __init__(self, destination: Destination, timeout: float):
        super().__init__(
            destination.host,
            destination.port,
            timeout=timeout,
            context=ssl.create_default_context(),
        )
        self._address = destination.address

    def connect(self) -> None:
        sock = socket.create_connection((self._address, self.port), self.timeout)
        self.sock = self._context.wrap_socket(sock, server_hostname=self.host)  # type: ignore[attr-defined]


def _connection(destination: Destination, timeout: float) -> http.client.HTTPConnection:
    if destination.scheme == "https":
        return _PinnedHTTPSConnection(destination, timeout)
    return http.client.HTTPConnection(destination.address, destination.port, timeout=timeout)


def _excerpt(raw: bytes) -> str:
    text = raw[:EXCERPT_BYTES].decode("utf-8", errors="ignore")
    while len(text.encode()) > EXCERPT_BYTES:
        text = text[:-1]
    return text


def post(destination: Destination, *, body: bytes, headers: dict[str, str]) -> SendResult:
    """POST once. http.client never follows redirects: a 3xx is just a non-2xx outcome."""
    started = time.perf_counter()
    conn = _connection(destination, float(settings.WEBHOOK_TIMEOUT_SECONDS))
    host = (
        destination.host
        if destination.port in (80, 443)
        else f"{destination.host}:{destination.port}"
    )
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
