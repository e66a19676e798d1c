"""The partner guide's referral walk-through runs against a live server."""

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
def test_the_referral_walkthrough_runs(live_server, alice, dave, carol, erin):
    env = {**os.environ, "BASE": live_server.url, "PASSWORD": PASSWORD}
    result = subprocess.run(
        ["bash", str(ROOT / "docs/examples/referrals.sh")],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr + result.stdout
    out = result.stdout
    assert "retry -> True requested" in out
    assert "inbox -> True" in out
    assert "dave sees -> ['contact', 'identity'] withheld" in out
    assert "carol -> 404" in out
    assert "accepted -> accepted version 2" in out
    allowed = "['cancelled', 'in-progress', 'on-hold', 'completed', 'failed']"
    assert f"illegal -> illegal_transition {allowed}" in out
    assert "message -> Bed 4 is ready." in out
    assert "after revoke -> accepted [] revoked" in out
    assert "sender message -> consent_required" in out
    assert "attached -> True 3" in out
    assert "after attach -> ['identity'] permitted" in out
    assert "closed -> completed" in out
    assert "fhir -> completed" in out
    # Newest first: dave's read under the attached consent, his read before the revocation,
    # the name in his inbox.
    shown = "[('Safe Harbor Housing', ['identity'], 'referral'), "
    shown += "('Safe Harbor Housing', ['contact', 'identity'], 'referral'), "
    shown += "('Safe Harbor Housing', ['identity'], 'list')]"
    assert f"disclosures -> {shown}" in out
