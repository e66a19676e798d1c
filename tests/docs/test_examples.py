"""The partner guide's examples run against a live server."""

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
def test_quickstart_script_runs(live_server, alice, harbor, safehouse):
    env = {**os.environ, "BASE": live_server.url, "USERNAME": "alice", "PASSWORD": PASSWORD}
    result = subprocess.run(
        ["bash", str(ROOT / "docs/examples/quickstart.sh")],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    lines = result.stdout.split()
    assert "Eastside" in result.stdout
    assert "not_found" in lines
    assert lines[-1] == "204"
