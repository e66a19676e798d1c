"""The summary table of docs/performance.md judges each figure against its target."""

from __future__ import annotations

from bench.report import table, verdict


def row(**kw):  # type: ignore[no-untyped-def]
    base = {"section": "S", "name": "n", "value": 250_000.0, "unit": "events/s", "ratio": 0.4}
    return {**base, **kw}


def test_a_target_with_the_unit_is_judged_on_the_value() -> None:
    assert verdict(row(target=">= 200,000 events/s")) == "met"
    assert verdict(row(target=">= 300,000 events/s")) == "**missed**"


def test_a_bare_target_is_judged_on_the_ratio() -> None:
    assert verdict(row(target=">= 0.50 at 16 writers")) == "**missed**"
    assert verdict(row(target="≥ 0.35")) == "met"
    assert verdict(row(target="<= 0.5")) == "met"


def test_a_target_it_cannot_read_gets_no_verdict() -> None:
    assert verdict(row(target="fast enough")) == ""
    assert verdict(row(target=None)) == ""


def test_without_a_ratio_the_value_is_judged() -> None:
    assert verdict(row(ratio=None, unit="req/s", value=90.0, target=">= 100")) == "**missed**"


def test_the_table_has_one_line_per_figure() -> None:
    lines = table([row(target=">= 0.3", baseline="plain"), row(ratio=None)])
    assert len(lines) == 4
    assert lines[2].startswith("| S | n | 250,000 events/s | plain | 0.40 | >= 0.3 | met |")
