"""Debian packages some tests need (softhsm2, caddy, docker-compose), installed when possible.

`ensure(package, *paths)` returns the first existing path, installing the package with apt-get
first if none exists and this process is root; None otherwise (the caller skips and says why).
`make test` runs its SQLite and PostgreSQL passes side by side, so installs take a file lock:
the second pass waits for the first's apt-get instead of failing on dpkg's lock and skipping.
"""

from __future__ import annotations

import fcntl
import os
import shutil
import subprocess
from pathlib import Path


def _found(paths: tuple[str, ...]) -> str | None:
    for path in paths:
        if "/" not in path and (hit := shutil.which(path)):
            return hit
        if "/" in path and Path(path).exists():
            return path
    return None


def ensure(package: str, *paths: str) -> str | None:
    hit = _found(paths)
    if hit or os.geteuid() != 0 or shutil.which("apt-get") is None:
        return hit
    with open("/tmp/referral-hub-apt.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if hit := _found(paths):  # the other pass installed it while we waited
            return hit
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        install = ["apt-get", "install", "-y", "-qq", "--no-install-recommends", package]
        if subprocess.run(install, env=env, capture_output=True, timeout=600).returncode != 0:
            subprocess.run(["apt-get", "update", "-qq"], env=env, capture_output=True, timeout=600)
            subprocess.run(install, env=env, capture_output=True, timeout=600)
    return _found(paths)
