"""The api container's healthcheck: GET /readyz the way the proxy asks (exit 0 when ready).

It sends the Host the site is served under (HEALTHCHECK_HOST, one of ALLOWED_HOSTS) and
`X-Forwarded-Proto: https`, as the TLS proxy does, so neither ALLOWED_HOSTS nor the SSL redirect
turns the probe into a 400 or a 301.
"""

import http.client
import os
import sys


def main() -> int:
    port = int(os.environ.get("PORT", "8000"))
    host = os.environ.get("HEALTHCHECK_HOST", "localhost")
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    try:
        conn.request("GET", "/readyz", headers={"Host": host, "X-Forwarded-Proto": "https"})
        response = conn.getresponse()
        body = response.read(2000).decode(errors="replace")
    except OSError as exc:
        print(f"readyz: {exc}", file=sys.stderr)
        return 1
    if response.status != 200:
        print(f"readyz: {response.status} {body}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
