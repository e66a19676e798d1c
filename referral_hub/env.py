"""Tiny environment reader: values from os.environ, secrets from `NAME_FILE` too."""

from __future__ import annotations

import os
from pathlib import Path

from core.errors import ConfigError

__all__ = [
    "ConfigError",
    "env_bool",
    "env_header_pair",
    "env_int",
    "env_list",
    "env_required",
    "env_str",
    "load_env_file",
]


def load_env_file(path: str | None) -> None:
    """Load KEY=VALUE lines into os.environ without overriding what is already set."""
    if not path:
        return
    file = Path(path)
    if not file.is_file():
        raise ConfigError(f"ENV_FILE={path} does not exist; run `make bootstrap` to create it.")
    for raw in file.read_text().splitlines():
        line = raw.strip()
        if not line or line.startswith("#") or "=" not in line:
            continue
        key, _, value = line.partition("=")
        os.environ.setdefault(key.strip(), value.strip())


def env_str(name: str, default: str | None = None) -> str | None:
    """Return NAME, or the contents of the file NAME_FILE points at, or the default."""
    if name in os.environ:
        return os.environ[name]
    file_path = os.environ.get(f"{name}_FILE")
    if file_path:
        try:
            return Path(file_path).read_text().strip()
        except OSError as exc:
            raise ConfigError(f"{name}_FILE={file_path} cannot be read: {exc}") from exc
    return default


def env_required(name: str) -> str:
    """Return NAME or refuse to start: secrets have no defaults."""
    value = env_str(name)
    if not value:
        raise ConfigError(
            f"{name} is not set. Set it (or {name}_FILE) in the environment; "
            "for local development run `make bootstrap`, which generates dev-only secrets."
        )
    return value


def env_bool(name: str, default: bool = False) -> bool:
    value = env_str(name)
    if value is None or value == "":
        return default
    if value.lower() in {"1", "true", "yes", "on"}:
        return True
    if value.lower() in {"0", "false", "no", "off"}:
        return False
    raise ConfigError(f"{name}={value!r} is not a boolean (use 1/0, true/false).")


def env_int(name: str, default: int) -> int:
    value = env_str(name)
    if value is None or value == "":
        return default
    try:
        return int(value)
    except ValueError as exc:
        raise ConfigError(f"{name}={value!r} is not an integer.") from exc


def env_list(name: str, default: str = "") -> list[str]:
    value = env_str(name, default) or ""
    return [item.strip() for item in value.split(",") if item.strip()]


def env_header_pair(name: str) -> tuple[str, str] | None:
    """`HEADER,value` (e.g. `HTTP_X_FORWARDED_PROTO,https`) as Django's META pair; unset: None.

    The header may be written as sent (`X-Forwarded-Proto`); it is normalised to its META key.
    """
    value = env_str(name)
    if value is None or not value.strip():
        return None
    header, sep, expected = (part.strip() for part in value.partition(","))
    if not sep or not header or not expected or "," in expected:
        raise ConfigError(f"{name}={value!r} must be HEADER,value (e.g. X-Forwarded-Proto,https).")
    key = header.upper().replace("-", "_")
    return (key if key.startswith("HTTP_") else f"HTTP_{key}", expected)
