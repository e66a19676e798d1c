# referral-hub image: the API (gunicorn), the webhook worker and the one-shot migration.
# Build: docker build -t referral-hub .   Run: docker compose up (docker-compose.yml).
#
# Layers: the dependencies are installed from pyproject.toml alone, so editing the code reuses
# that layer; the code is installed on top without dependencies. The final stage has no pip,
# compiler or dev tools (no pytest, ruff, mypy) and runs as an unprivileged user.

FROM python:3.11-slim AS build
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
RUN python -m venv /opt/venv
WORKDIR /src
COPY pyproject.toml ./
# Runtime dependencies plus the `hsm` extra (python-pkcs11), read from pyproject.toml.
RUN python -c "import tomllib; p = tomllib.load(open('pyproject.toml', 'rb'))['project']; \
print('\n'.join(p['dependencies'] + p['optional-dependencies']['hsm']))" > /tmp/requirements.txt \
 && /opt/venv/bin/pip install -r /tmp/requirements.txt
COPY . .
RUN /opt/venv/bin/pip install --no-deps . \
 && /opt/venv/bin/pip uninstall -y pip setuptools \
 && rm -f /opt/venv/bin/pip*

FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PATH=/opt/venv/bin:$PATH \
    DJANGO_SETTINGS_MODULE=referral_hub.settings
RUN useradd --system --uid 10001 --home-dir /app --shell /usr/sbin/nologin app \
 && mkdir -p /var/lib/referral-hub/keys /var/lib/referral-hub/checkpoints \
 && chown -R app /var/lib/referral-hub && chmod 0700 /var/lib/referral-hub/keys \
 && rm -rf /usr/local/bin/pip* /usr/local/lib/python3.11/site-packages/pip
COPY --from=build /opt/venv /opt/venv
WORKDIR /app
COPY manage.py ./
COPY deploy/entrypoint.sh deploy/gunicorn.conf.py deploy/healthcheck.py ./deploy/
USER app
EXPOSE 8000
ENTRYPOINT ["/app/deploy/entrypoint.sh"]
CMD ["api"]
