"""Debian packages some tests need (softhsm2, caddy, docker-compose), installed when possible.

`ensure(package, *paths)` returns the first existing path, installing the package with apt-get
first if none exists and this process is root; None otherwise (the caller skips and says why).
"""

from __future__ import annotations

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
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    install = ["apt-get", "install", "-y", "-qq", "--no-install-recommends", package]
    if subprocess.run(install, env=env, capture_output=True, timeout=600).returncode != 0:
        subprocess.run(["apt-get", "update", "-qq"], env=env, capture_output=True, timeout=600)
        subprocess.run(install, env=env, capture_output=True, timeout=600)
    return _found(paths)
