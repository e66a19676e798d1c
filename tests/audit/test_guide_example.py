"""docs/examples/compliance.sh (the compliance guide's walk-through) runs against a live server."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys

import pytest
from django.conf import settings

from tests.conftest import PASSWORD


@pytest.mark.skipif(shutil.which("curl") is None, reason="needs curl")
@pytest.mark.django_db(transaction=True)
def test_the_compliance_walkthrough_runs(live_server, erin, tmp_path):
    env = {
        **os.environ,
        "BASE": live_server.url,
        "USERNAME": "erin",
        "PASSWORD": PASSWORD,
        "PYTHON": sys.executable,
        "OUT": str(tmp_path),
    }
    result = subprocess.run(
        ["bash", str(settings.BASE_DIR / "docs/examples/compliance.sh")],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        cwd=settings.BASE_DIR,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    lines = result.stdout.splitlines()
    assert lines[:3] == ["auth.login", "True", "True"]
    assert lines[-1].startswith("VALID")
