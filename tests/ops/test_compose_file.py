"""docker-compose.yml validates, and says what it promises (no container daemon here).

`docker compose config` (the compose plugin) or Debian's `docker-compose config` parses and
interpolates the file without a daemon; the promises are then read from the file itself. The
entrypoints are run as processes in tests/ops/test_compose_entrypoints.py.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path
from urllib.parse import urlparse

import pytest
import yaml

from tests.debian import ensure
from tests.ops.stack import ROOT, compose

APP = ("api", "worker")
SECRETS = ("DJANGO_SECRET_KEY", "JWT_SIGNING_KEY", "AUDIT_PSEUDONYM_KEY", "AUDIT_SIGNING_KEY")


def _validator() -> list[str] | None:
    docker = shutil.which("docker")
    if (
        docker
        and subprocess.run([docker, "compose", "version"], capture_output=True).returncode == 0
    ):
        return [docker, "compose"]
    legacy = ensure("docker-compose", "docker-compose")
    return [legacy] if legacy else None


def test_the_compose_file_validates():
    command = _validator()
    if command is None:
        pytest.skip(
            "neither `docker compose` nor `docker-compose` is available and this is not root "
            "(`apt-get install docker-compose` provides one that needs no daemon)"
        )
    done = subprocess.run(
        [*command, "-f", "docker-compose.yml", "config"], cwd=ROOT, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    resolved = yaml.safe_load(done.stdout)
    assert set(resolved["services"]) == {"proxy", "postgres", "redis", "migrate", "api", "worker"}
    api = resolved["services"]["api"]
    assert api["environment"]["ALLOWED_HOSTS"] == "localhost"  # ${SITE_NAME:-localhost}
    assert api["depends_on"]["migrate"]["condition"] == "service_completed_successfully"


def _env(service: str) -> dict[str, str]:
    return {k: str(v) for k, v in compose()["services"][service]["environment"].items()}


def test_only_the_tls_proxy_is_published():
    services = compose()["services"]
    published = {name for name, spec in services.items() if spec.get("ports")}
    assert published == {"proxy"}
    assert services["proxy"]["ports"] == ["${HTTPS_PORT:-8443}:443"]
    assert services["proxy"]["image"].startswith("caddy:")
    assert _env("proxy")["UPSTREAM"] == "api:8000"


def test_migrations_run_as_the_owner_and_the_app_runs_as_the_hardened_role():
    owner, app = _env("postgres")["RH_OWNER_ROLE"], _env("postgres")["RH_APP_ROLE"]
    assert owner != app
    assert urlparse(_env("migrate")["DATABASE_URL"]).username == owner
    assert _env("migrate")["APP_DB_ROLE"] == app
    assert compose()["services"]["migrate"]["command"] == ["migrate"]
    for service in APP:
        assert urlparse(_env(service)["DATABASE_URL"]).username == app
        condition = compose()["services"][service]["depends_on"]["migrate"]["condition"]
        assert condition == "service_completed_successfully"
        assert "pg_owner_password" not in compose()["services"][service]["secrets"]


def test_secrets_come_from_files_only():
    for service in ("migrate", *APP):
        env = _env(service)
        for name in SECRETS:
            assert name not in env and env[f"{name}_FILE"].startswith("/run/secrets/")
        assert env["DATABASE_PASSWORD_FILE"].startswith("/run/secrets/")
        assert all(not re.match(r"postgres://[^@/]*:[^@/]*@", v) for v in env.values())
    declared = compose()["secrets"]
    assert all(spec["file"].startswith("./deploy/secrets/") for spec in declared.values())
    assert "deploy/secrets/" in (ROOT / ".gitignore").read_text()


def test_api_and_worker_share_the_checkpoint_volume_and_the_proxy_settings():
    services = compose()["services"]
    for service in APP:
        env = _env(service)
        assert "checkpoints:" + env["AUDIT_CHECKPOINT_DIR"] in services[service]["volumes"]
        assert env["SECURE_PROXY_SSL_HEADER"] == "HTTP_X_FORWARDED_PROTO,https"
        assert env["TRUSTED_PROXY_COUNT"] == "1" and env["SECURE_SSL_REDIRECT"] == "1"
        assert env["REDIS_URL"].startswith("redis://redis:")
    assert "redis" in services and services["redis"]["healthcheck"]


def test_stop_grace_periods_outlast_the_processes_own_deadlines():
    services = compose()["services"]
    seconds = {name: int(services[name]["stop_grace_period"].rstrip("s")) for name in APP}
    assert seconds["api"] > int(_env("api")["GUNICORN_GRACEFUL_TIMEOUT"])
    assert seconds["worker"] > int(_env("worker")["WORKER_STOP_GRACE_SECONDS"])
    assert services["api"]["healthcheck"]["test"] == ["CMD", "python", "/app/deploy/healthcheck.py"]


def test_the_dockerfile_caches_dependencies_and_runs_unprivileged_without_dev_tools():
    text = (ROOT / "Dockerfile").read_text()
    lines = [line.strip() for line in text.splitlines()]
    first_copy_all = lines.index("COPY . .")
    deps = next(i for i, line in enumerate(lines) if "pip install -r" in line)
    assert lines.index("COPY pyproject.toml ./") < deps < first_copy_all
    final = text.rsplit("\nFROM ", 1)[1]
    assert "USER app" in final and "useradd" in final and "--uid 10001" in final
    commands = [line for line in lines if not line.startswith("#")]
    assert not [line for line in commands if "[dev]" in line or "pytest" in line]
    assert "rm -f /opt/venv/bin/pip*" in text  # no installer left in the runtime image
    assert Path(ROOT / "deploy" / "entrypoint.sh").stat().st_mode & 0o111
