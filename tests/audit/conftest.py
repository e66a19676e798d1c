"""Audit tests publish checkpoints into a temporary folder."""

from __future__ import annotations

import pytest

from tests.console import conftest as _console_fixtures
from tests.referrals import conftest as _referral_fixtures


@pytest.fixture(autouse=True)
def _checkpoint_dir(settings, tmp_path):  # type: ignore[no-untyped-def]
    settings.AUDIT_CHECKPOINT_DIR = str(tmp_path / "checkpoints")


# The owner-visibility matrix (test_owner_visibility.py) replays real referral flows: it reuses
# the referral fixtures (Ana, her consent, `send`) and the console's sign-in.
ana = _referral_fixtures.ana
ana_consent = _referral_fixtures.ana_consent
make_consent = _referral_fixtures.make_consent
send = _referral_fixtures.send
referral = _referral_fixtures.referral
console = _console_fixtures.console
