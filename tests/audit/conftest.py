"""Audit tests publish checkpoints into a temporary folder."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _checkpoint_dir(settings, tmp_path):  # type: ignore[no-untyped-def]
    settings.AUDIT_CHECKPOINT_DIR = str(tmp_path / "checkpoints")
