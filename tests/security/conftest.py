"""Fixtures of the security suites: the world of agency A's objects (tests/security/world.py)."""

from __future__ import annotations

import pytest

from tests.security.world import World, build_world


@pytest.fixture
def world(  # type: ignore[no-untyped-def]
    eastside, safehouse, northside, alice, sam, erin, adam, dave, vic, settings
) -> World:
    return build_world(
        eastside=eastside,
        safehouse=safehouse,
        northside=northside,
        alice=alice,
        sam=sam,
        erin=erin,
        adam=adam,
        dave=dave,
        vic=vic,
        settings=settings,
    )
