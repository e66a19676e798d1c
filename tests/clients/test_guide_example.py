"""The partner guide's client walk-through runs against a live server."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.conftest import PASSWORD

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.skipif(shutil.which("curl") is None, reason="needs curl")
@pytest.mark.django_db(transaction=True)
def test_the_client_walkthrough_runs(live_server, alice, carol, sam):
    env = {**os.environ, "BASE": live_server.url, "PASSWORD": PASSWORD}
    result = subprocess.run(
        ["bash", str(ROOT / "docs/examples/clients.sh")],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr + result.stdout
    out = result.stdout
    assert "retry -> True" in out
    assert "read -> Núñez 555-0100" in out
    assert "patched -> 555-0111 Text only." in out
    assert "search -> [True]" in out
    assert "carol -> 404" in out
    assert "erase -> True" in out
    assert "after erase -> True False" in out
