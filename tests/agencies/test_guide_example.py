"""docs/examples/directory.sh (the partner guide's directory walk-through) against a live server."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.conftest import PASSWORD
from tests.factories import AgencyFactory, ProgramFactory

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.skipif(shutil.which("curl") is None, reason="needs curl")
@pytest.mark.django_db(transaction=True)
def test_the_directory_walkthrough_runs(live_server, alice, sam, northside):
    from django.utils import timezone

    riverside = AgencyFactory(name="Riverside Community Justice Center")
    now = timezone.now()
    ProgramFactory(
        agency=riverside,
        name="Restorative Justice Conferencing",
        service_type="restorative_justice",
        languages=["en", "es"],
        assured_at=now,
        capacity_updated_at=now,
    )
    ProgramFactory(agency=riverside, name="Mediation", service_type="community_mediation")
    ProgramFactory(agency=northside, name="Advocacy", service_type="victim_advocacy")
    env = {**os.environ, "BASE": live_server.url, "PASSWORD": PASSWORD}
    result = subprocess.run(
        ["bash", str(ROOT / "docs/examples/directory.sh")],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr + result.stdout
    out = result.stdout
    program = "'Restorative Justice Conferencing', 'Riverside Community Justice Center'"
    assert f"found -> [({program}, 'available', False)]" in out
    assert "pre-check -> available []" in out
    assert "identifier -> 400 given_name unknown_field" in out
    assert "referral -> requested urgent 72 h to respond" in out
    assert "vsp referral -> requested stat" in out
    assert "total,total,All referrals,<11" in out  # 2 referrals: too few to show
    assert "Riverside Community Justice Center,<11" in out
    assert "Northside Survivor Center,<11" in out
    assert "suppression -> True victim_service_provider" in out
    assert "Maria" not in out
