"""The hand-built renderings on the hot paths write what DRF's fields would."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

from rest_framework import serializers

from api.v1.referral_io import _when


def test_hand_built_times_render_as_drf_renders_them():
    drf = serializers.DateTimeField()
    values = [
        datetime(2026, 12, 3, 9, 5, 8, 393078, tzinfo=UTC),
        datetime(2026, 12, 3, 9, 5, 8, tzinfo=UTC),  # no microseconds
        datetime(2026, 6, 1, 23, 30, tzinfo=timezone(timedelta(hours=-7))),  # another zone
        datetime(1970, 1, 1, tzinfo=UTC),
    ]
    for value in values:
        assert _when(value) == drf.to_representation(value), value
    assert _when(None) is None
