"""Write a fresh set of secrets for docker-compose.yml into a folder (default deploy/secrets).

    python3 deploy/generate_secrets.py [FOLDER]

One file per secret, as compose mounts them at /run/secrets/<name>; the app reads each through
its `NAME_FILE` variable. Existing files are kept, so a second run changes nothing. The folder
is 0700 (the files are 0644 so the containers' unprivileged users can read their bind mounts:
the folder is what keeps other host users out). Standard library only: runs before any install.
"""

from __future__ import annotations

import base64
import json
import os
import secrets
import sys
from pathlib import Path


def _b64(n: int) -> str:
    return base64.b64encode(os.urandom(n)).decode()


def _ring() -> str:
    kek_id = "k" + secrets.token_hex(6)
    return json.dumps({"primary": kek_id, "keys": {kek_id: _b64(32)}}, indent=2)


GENERATORS = {
    "django_secret_key": lambda: secrets.token_urlsafe(50),
    "jwt_signing_key": lambda: secrets.token_urlsafe(48),
    "audit_pseudonym_key": lambda: secrets.token_urlsafe(32),
    "audit_signing_key": lambda: _b64(32),  # Ed25519 seed
    "field_keys": _ring,  # the KEK ring (JSON), seeded into the keyring volume
    "pg_superuser_password": lambda: secrets.token_urlsafe(24),
    "pg_owner_password": lambda: secrets.token_urlsafe(24),
    "pg_app_password": lambda: secrets.token_urlsafe(24),
}


def generate(folder: Path) -> list[str]:
    folder.mkdir(parents=True, exist_ok=True)
    folder.chmod(0o700)
    written = []
    for name, make in GENERATORS.items():
        path = folder / name
        if path.exists():
            continue
        path.write_text(make() + "\n")
        path.chmod(0o644)
        written.append(name)
    return written


if __name__ == "__main__":
    target = Path(sys.argv[1] if len(sys.argv) > 1 else Path(__file__).parent / "secrets")
    made = generate(target)
    print(f"{len(made)} secrets written to {target}" + (f": {', '.join(made)}" if made else ""))
