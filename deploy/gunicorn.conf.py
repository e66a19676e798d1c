"""gunicorn settings for the `api` process (deploy/entrypoint.sh api). Values from the environment.

Stopping: on SIGTERM gunicorn stops accepting, lets in-flight requests finish for up to
`graceful_timeout` seconds, then kills what is left. The container's stop grace period
(docker-compose.yml `stop_grace_period`) must be longer, or the runtime SIGKILLs first.
"""

import os

bind = f"0.0.0.0:{os.environ.get('PORT', '8000')}"
# 2 sync workers per 2 cores was the best configuration measured (docs/performance.md).
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
worker_class = "sync"
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "30"))
graceful_timeout = int(os.environ.get("GUNICORN_GRACEFUL_TIMEOUT", "25"))
keepalive = 5
accesslog = "-"
# Request lines only; the JSON app log carries request ids. Never bodies or query strings.
access_log_format = '%(h)s "%(m)s %(U)s" %(s)s %(B)s %(L)ss'
# X-Forwarded-* are honoured by Django (SECURE_PROXY_SSL_HEADER, TRUSTED_PROXY_COUNT), not
# by gunicorn; the proxy is the only client that can reach this port.
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")
