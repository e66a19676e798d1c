"""The app refuses to start without a usable key ring, and says why (naming no key material)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _check(env_overrides: dict[str, str]) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("FIELD_")}
    env.update(env_overrides)
    return subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"FIELD_KEYS": "k1:dG9vLXNob3J0"}, "must be 32 bytes"),
        ({"FIELD_KEYS_FILE": "/nonexistent/keys.json"}, "cannot be read"),
        ({"FIELD_KEYS": "k1:" + "A" * 43 + "=", "FIELD_PRIMARY_KEY_ID": "k9"}, "Primary KEK 'k9'"),
    ],
)
def test_it_refuses_to_start_with_broken_keys(overrides, message):
    result = _check({"ENV_FILE": str(ROOT / ".dev" / "test.env"), **overrides})
    assert result.returncode != 0
    assert message in result.stderr and "key ring unusable" in result.stderr
    assert "A" * 43 not in result.stderr
