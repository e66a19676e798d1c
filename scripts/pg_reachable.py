"""Exit 0 if the PostgreSQL server behind a database URL answers."""

import sys
from urllib.parse import urlparse

import psycopg2

url = urlparse(sys.argv[1])
try:
    psycopg2.connect(
        host=url.hostname or "127.0.0.1",
        port=url.port or 5432,
        user=url.username or "postgres",
        password=url.password or None,
        dbname="postgres",
        connect_timeout=3,
    ).close()
except psycopg2.Error as exc:
    print(f"PostgreSQL not reachable: {str(exc).strip()}", file=sys.stderr)
    sys.exit(1)
