"""The victim-service-provider rule: small cells hidden, and their complements, so that no
hidden count can be worked out from what the report does show. Tested both ways."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from reports.suppression import hide_grouped, hide_small_cells
from tests.factories import UserFactory
from tests.reports.conftest import NOV, S, seed_many

URL = "/api/v1/reports/referrals"
K = 11


def feasible(hidden: list[int], *, low: int, high: int) -> list[set[int]]:
    """What an attacker who knows the hidden cells' sum (the total minus the visible cells) and
    believes each lies in `low..high` can conclude about each one."""
    total, count = sum(hidden), len(hidden)
    lo = max(low, total - (count - 1) * high)
    hi = min(high, total - (count - 1) * low)
    return [set(range(lo, hi + 1)) for _ in hidden]


def recoverable(values: list[int], hidden: list[bool]) -> bool:
    """True if an attacker pins down some hidden cell's true value, under any belief about the
    bounds: at least 1 or 0 (zeros are usually shown), at most 10 (the `<11` marker) or the
    whole sum. A belief the true values break leads to wrong answers, which are no leak."""
    cells = [v for v, h in zip(values, hidden, strict=True) if h]
    if not cells:
        return False
    beliefs = [(low, high) for low in (0, 1) for high in (K - 1, sum(cells))]
    return any(
        options == {value}
        for low, high in beliefs
        for options, value in zip(feasible(cells, low=low, high=high), cells, strict=True)
    )


# --- the rule itself ---------------------------------------------------------------------------
def test_primary_suppression_alone_would_leak_and_the_complement_stops_it():
    values = [30, 3, 12, 0]  # the 3 must not be shown
    naive = [0 < v < K for v in values]
    assert recoverable(values, naive)  # 45 - 30 - 12 - 0 = 3: the attack works on primary only
    hidden = hide_small_cells(values, threshold=K)
    assert hidden == [False, True, True, False]  # the next smallest non-zero cell goes too
    assert not recoverable(values, hidden)


def test_two_small_cells_at_the_bound_are_not_left_alone():
    values = [10, 10, 40]  # two hidden 10s summing to 20: each "<11" would have to be 10
    assert recoverable(values, [True, True, False])
    hidden = hide_small_cells(values, threshold=K)
    assert hidden == [True, True, True]
    assert not recoverable(values, hidden)


def test_a_small_total_cannot_be_shown():
    assert hide_small_cells([4, 0, 0], threshold=K) is None  # the report then hides everything


def test_zeros_complement_when_nothing_else_can():
    values = [10, 10, 0, 35]  # a 35 is there, but [10, 10, 35] is already safe
    assert hide_small_cells(values, threshold=K) == [True, True, False, True]
    assert hide_small_cells([10, 10, 0], threshold=K) == [True, True, True]
    assert not recoverable([10, 10, 0], [True, True, True])


def test_a_table_that_cannot_be_protected_says_so():
    assert hide_small_cells([10, 10], threshold=K) is None  # both <11, summing to 20


def test_nothing_is_hidden_when_no_cell_is_small():
    assert hide_small_cells([11, 0, 40, 12], threshold=K) == [False, False, False, False]


def test_groups_with_published_subtotals_are_protected_each_on_its_own():
    values, groups = [20, 5, 30, 3, 12], [0, 0, 1, 1, 1]
    hidden = hide_grouped(values, groups, threshold=K)
    assert hidden == [True, True, False, True, True]
    assert hidden is not None
    for group in (0, 1):
        members = [i for i, g in enumerate(groups) if g == group]
        assert not recoverable([values[i] for i in members], [hidden[i] for i in members])


@settings(max_examples=300, deadline=None)
@given(st.lists(st.integers(min_value=0, max_value=60), min_size=1, max_size=8))
def test_no_table_ever_leaks_a_hidden_cell(values):
    hidden = hide_small_cells(values, threshold=K)
    if hidden is None:  # the caller hides the whole report, total included
        assert 0 < sum(values) < K or all(v < K for v in values)
        return
    assert all(h for v, h in zip(values, hidden, strict=True) if 0 < v < K)  # every small cell
    assert not recoverable(values, hidden)
    assert sum(hidden) != 1


# --- the report --------------------------------------------------------------------------------
def _cells(body: dict, section: str) -> dict[str, object]:
    return {c["key"]: c["display"] for c in body[section]}


@pytest.fixture
def northside_lead(northside):  # type: ignore[no-untyped-def]
    return UserFactory(agency=northside, role="supervisor")


def test_a_victim_service_providers_report_hides_small_cells_and_their_complements(
    api, seed, northside, safehouse, northside_lead
):
    counts = {S.COMPLETED: 30, S.REJECTED: 3, S.CANCELLED: 12, S.REQUESTED: 20, S.ACCEPTED: 5}
    seed_many(seed, northside, safehouse, counts)
    body = api(northside_lead).get(f"{URL}?start=2026-11").json()
    assert body["suppression"] == {
        "applied": True,
        "threshold": 11,
        "reason": "victim_service_provider",
    }
    assert body["total"]["display"] == "70"
    assert body["closed_loop_rate"]["value"] == 0.643  # 45 of 70: publishes the closed subtotal
    status = _cells(body, "by_status")
    assert status == {
        "requested": "<11",  # complement of accepted (5): the open subtotal, 25, is published
        "accepted": "<11",
        "in-progress": "0",
        "on-hold": "0",
        "completed": "30",
        "failed": "0",
        "rejected": "<11",
        "cancelled": "<11",  # complement of rejected (3): the closed subtotal, 45, is published
        "expired": "0",
    }
    hidden = [c for c in body["by_status"] if c["suppressed"]]
    assert all(c["count"] is None for c in hidden)
    # What an attacker gets from total, rate and the visible cells: two unknowns per subtotal.
    assert not recoverable([20, 5], [True, True]) and not recoverable([3, 12], [True, True])
    assert body["median_hours_to_accept"]["value"] == 4.0  # 35 accepted: enough to show


def test_the_same_figures_at_an_agency_with_no_vsp_involved_are_shown_in_full(
    api, seed, eastside, harbor, sam
):
    counts = {S.COMPLETED: 30, S.REJECTED: 3, S.CANCELLED: 12, S.REQUESTED: 20, S.ACCEPTED: 5}
    seed_many(seed, eastside, harbor, counts)
    body = api(sam).get(f"{URL}?start=2026-11").json()
    assert body["suppression"]["applied"] is False
    status = _cells(body, "by_status")
    assert (status["rejected"], status["accepted"], status["cancelled"]) == ("3", "5", "12")


def test_referrals_to_a_vsp_make_the_senders_report_suppressed(api, seed, eastside, northside, sam):
    seed_many(seed, eastside, northside, {S.COMPLETED: 8, S.REQUESTED: 7})
    body = api(sam).get(f"{URL}?start=2026-11").json()
    assert body["suppression"]["applied"] is True
    assert body["total"]["display"] == "15"
    assert _cells(body, "by_status")["completed"] == "<11"
    assert _cells(body, "by_status")["requested"] == "<11"
    # 8 closed of 15: the rate would publish a small subtotal, so it is hidden; so are the
    # medians of fewer than 11 referrals.
    assert body["closed_loop_rate"] == {"value": None, "suppressed": True, "display": "<11"}
    assert body["median_hours_to_close"]["value"] is None
    assert body["median_hours_to_accept"]["suppressed"] is True


def test_a_tiny_vsp_report_hides_even_its_total(api, seed, northside, safehouse, northside_lead):
    seed_many(seed, northside, safehouse, {S.COMPLETED: 3, S.REQUESTED: 1})
    body = api(northside_lead).get(f"{URL}?start=2026-11").json()
    assert body["total"] == {
        "key": "total",
        "label": "All referrals",
        "count": None,
        "suppressed": True,
        "display": "<11",
    }
    assert all(c["suppressed"] for c in body["by_status"])  # zeros too: 3 of 4 completed is news
    assert body["by_partner_agency"][0]["display"] == "<11"


def test_vsp_reports_cover_one_month_so_periods_cannot_be_subtracted(
    api, seed, northside, safehouse, northside_lead
):
    seed(northside, safehouse, S.REQUESTED, sent_at=NOV)
    response = api(northside_lead).get(f"{URL}?start=2026-10&end=2026-11")
    assert response.status_code == 400
    assert response.json()["code"] == "vsp_report_one_month"


def test_the_csv_shows_hidden_cells_as_the_marker(api, seed, northside, safehouse, northside_lead):
    seed_many(seed, northside, safehouse, {S.COMPLETED: 30, S.REJECTED: 3, S.CANCELLED: 12})
    lines = api(northside_lead).get(f"{URL}?start=2026-11&format=csv").content.decode().splitlines()
    assert "by_status,rejected,Rejected,<11" in lines
    assert "by_status,completed,Completed,30" in lines


def test_the_threshold_is_a_setting(api, seed, northside, safehouse, northside_lead, settings):
    settings.REPORT_SMALL_CELL_THRESHOLD = 4
    seed_many(seed, northside, safehouse, {S.COMPLETED: 30, S.REJECTED: 5, S.CANCELLED: 12})
    body = api(northside_lead).get(f"{URL}?start=2026-11").json()
    assert _cells(body, "by_status")["rejected"] == "5"  # 5 is not small under 4
    assert body["suppression"]["threshold"] == 4


def test_a_table_that_cannot_be_protected_hides_the_whole_report(
    api, seed, northside, safehouse, harbor, northside_lead
):
    seed_many(seed, northside, safehouse, {S.COMPLETED: 10})
    seed_many(seed, northside, harbor, {S.COMPLETED: 10})
    body = api(northside_lead).get(f"{URL}?start=2026-11").json()
    # Partners 10 + 10 = 20: shown with the total, each "<11" would have to be 10.
    assert body["total"]["suppressed"] is True
    assert [c["display"] for c in body["by_partner_agency"]] == ["<11", "<11"]
    assert all(c["suppressed"] for c in body["by_status"] + body["by_month"])
    assert body["closed_loop_rate"]["suppressed"] and body["median_hours_to_close"]["suppressed"]
