"""docker-compose.yml's services run as plain processes: the same entrypoints, the same env.

There is no container daemon here, so the tests read each service's `environment` from the
compose file and translate only what a container would provide: `/run/secrets/<name>` becomes
a file written by `deploy/generate_secrets.py`, the volumes become temporary folders, the host
`postgres` becomes the local server with a scratch database and per-run role names, the host
`redis` the local Redis under a key prefix of this run's own (`CACHE_KEY_PREFIX`; its keys are
deleted afterwards, nothing is flushed), and ports are free local ones. Nothing else from the
test environment reaches the processes.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import yaml

ROOT = Path(__file__).resolve().parents[2]
COMPOSE = ROOT / "docker-compose.yml"
VOLUME_ROOT = "/var/lib/referral-hub/"
_VAR = re.compile(r"\$\{(\w+)(?::-([^}]*))?\}")


def compose() -> dict[str, Any]:
    return yaml.safe_load(COMPOSE.read_text())  # type: ignore[no-any-return]


def interpolate(value: str, env: dict[str, str]) -> str:
    """Compose's `${NAME:-default}` substitution (the subset the file uses)."""
    return _VAR.sub(lambda m: env.get(m.group(1)) or (m.group(2) or ""), value)


@dataclass
class Stack:
    """Names and places for one run: scratch database, roles, secrets, volumes, ports."""

    tmp: Path
    pg_host: str
    pg_port: int
    prefix: str  # this run's test database name: every name below starts with it
    ports: dict[str, int] = field(default_factory=dict)
    redis_url: str | None = None  # the local Redis standing in for `redis`; None: none answers
    redis_prefix: str = ""  # this run's cache key prefix on that shared Redis

    @property
    def db(self) -> str:
        return f"{self.prefix}_compose"

    @property
    def owner_role(self) -> str:
        return f"{self.prefix}_owner"

    @property
    def app_role(self) -> str:
        return f"{self.prefix}_app"

    @property
    def secrets(self) -> Path:
        return self.tmp / "secrets"

    def roles(self) -> dict[str, str]:
        return {"rh_owner": self.owner_role, "rh_app": self.app_role}

    def translate(self, name: str, value: str) -> str:
        value = interpolate(str(value), {})
        if name == "RH_DB_NAME":
            return self.db
        if value.startswith("/run/secrets/"):
            return str(self.secrets / value.removeprefix("/run/secrets/"))
        if value.startswith(VOLUME_ROOT):
            return str(self.tmp / "volumes" / value.removeprefix(VOLUME_ROOT))
        if name == "DATABASE_URL":
            url = urlparse(value)
            user = self.roles()[url.username or ""]
            return f"postgres://{user}@{self.pg_host}:{self.pg_port}/{self.db}"
        return self.roles().get(value, value)

    def env(self, service: str, **extra: str) -> dict[str, str]:
        """The service's environment from docker-compose.yml, translated for this host."""
        declared = compose()["services"][service].get("environment", {})
        env = {name: self.translate(name, value) for name, value in declared.items()}
        leaked = [k for k, v in env.items() if re.search(r"(^|/)referral_hub$", v)]
        assert not leaked, f"untranslated compose names would touch a real database: {leaked}"
        # Redis is shared on this machine: a run uses it only under its own key prefix. Without
        # a local Redis the limit store falls back to the database cache (still shared).
        if self.redis_url and "REDIS_URL" in env:
            env["REDIS_URL"] = self.redis_url
            env["CACHE_KEY_PREFIX"] = self.redis_prefix
        else:
            env.pop("REDIS_URL", None)
        base = {k: os.environ[k] for k in ("PATH", "HOME", "LANG", "TZ") if k in os.environ}
        return {**base, "PYTHON": sys.executable, "PYTHONDONTWRITEBYTECODE": "1", **env, **extra}

    def prepare(self) -> None:
        subprocess.run(
            [sys.executable, "deploy/generate_secrets.py", str(self.secrets)],
            cwd=ROOT,
            check=True,
            capture_output=True,
        )
        for volume in compose()["volumes"]:
            (self.tmp / "volumes" / _mount_dir(volume)).mkdir(parents=True, exist_ok=True)

    def cleanup(self, admin: Any) -> None:
        with admin.cursor() as cur:
            cur.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s",
                [self.db],
            )
            cur.execute(f'DROP DATABASE IF EXISTS "{self.db}"')
            for role in (self.app_role, self.owner_role):
                cur.execute(f'DROP ROLE IF EXISTS "{role}"')
        shutil.rmtree(self.tmp / "volumes", ignore_errors=True)


def _mount_dir(volume: str) -> str:
    """The folder under /var/lib/referral-hub/ a named volume is mounted on (if any)."""
    for service in compose()["services"].values():
        for mount in service.get("volumes", []):
            source, _, target = str(mount).partition(":")
            if source == volume and target.startswith(VOLUME_ROOT):
                return target.removeprefix(VOLUME_ROOT)
    return f"unmounted-{volume}"


def run(stack: Stack, args: list[str], env: dict[str, str], **kw: Any) -> Any:
    return subprocess.run(args, cwd=ROOT, env=env, capture_output=True, text=True, **kw)
