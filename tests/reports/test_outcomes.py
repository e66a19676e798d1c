"""The outcome report on a seeded data set with known answers (no victim service provider)."""

from __future__ import annotations

from datetime import datetime

import pytest

from audit.models import AuditEvent
from tests.factories import UserFactory
from tests.reports.conftest import NOV, OCT, S

URL = "/api/v1/reports/referrals"


@pytest.fixture
def history(seed, eastside, harbor, safehouse):  # type: ignore[no-untyped-def]
    """Eastside's referrals: two to Harbor in October, four to Safe Harbor in November, and
    what the report must not count (a draft, entered-in-error, September, one received)."""
    seed(
        eastside,
        harbor,
        S.COMPLETED,
        sent_at=OCT,
        service_type="case_management",
        accept_h=2,
        close_h=50,
    )
    seed(eastside, harbor, S.REJECTED, sent_at=OCT, service_type="case_management", close_h=10)
    seed(eastside, safehouse, S.REQUESTED)
    seed(eastside, safehouse, S.ACCEPTED, accept_h=4)
    seed(eastside, safehouse, S.COMPLETED, accept_h=6, close_h=30)
    seed(eastside, safehouse, S.CANCELLED, close_h=20)
    seed(eastside, safehouse, S.ENTERED_IN_ERROR)
    seed(eastside, safehouse, S.DRAFT)
    seed(eastside, safehouse, S.COMPLETED, sent_at=datetime(2026, 9, 30, 23, tzinfo=NOV.tzinfo))
    seed(harbor, eastside, S.ACCEPTED)


def _counts(cells: list[dict]) -> dict[str, int]:
    return {c["key"]: c["count"] for c in cells}


def test_the_sent_report_has_the_known_figures(api, sam, history, harbor, safehouse):
    response = api(sam).get(f"{URL}?start=2026-10&end=2026-11")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["suppression"] == {"applied": False, "threshold": 11, "reason": ""}
    assert body["total"]["count"] == 6
    assert _counts(body["by_status"]) == {
        "requested": 1,
        "accepted": 1,
        "in-progress": 0,
        "on-hold": 0,
        "completed": 2,
        "failed": 0,
        "rejected": 1,
        "cancelled": 1,
        "expired": 0,
    }
    assert _counts(body["by_service_type"]) == {"case_management": 2, "shelter": 4}
    assert [(c["key"], c["label"], c["count"]) for c in body["by_partner_agency"]] == [
        (str(harbor.id), "Harbor Social Services", 2),
        (str(safehouse.id), "Safe Harbor Housing", 4),
    ]
    assert _counts(body["by_month"]) == {"2026-10": 2, "2026-11": 4}
    assert body["median_hours_to_accept"]["value"] == 4.0  # 2, 4, 6
    assert body["median_hours_to_close"]["value"] == 25.0  # 10, 20, 30, 50
    assert body["closed_loop_rate"]["value"] == 0.667  # 4 of 6 reached a final status


def test_one_month_and_the_received_side(api, history, safehouse):
    manager = UserFactory(agency=safehouse, role="supervisor")
    body = api(manager).get(f"{URL}?direction=received&start=2026-11").json()
    assert (body["start"], body["end"], body["direction"]) == ("2026-11", "2026-11", "received")
    assert body["total"]["count"] == 4
    assert [c["label"] for c in body["by_partner_agency"]] == ["Eastside Legal Clinic"]
    assert body["median_hours_to_accept"]["value"] == 5.0  # 4, 6
    assert body["median_hours_to_close"]["value"] == 25.0  # 20, 30
    assert body["closed_loop_rate"]["value"] == 0.5


def test_the_report_holds_no_client_level_data(api, erin, history):
    from clients.models import Client
    from referrals.models import Referral

    text = api(erin).get(f"{URL}?start=2026-10&end=2026-11").content.decode()
    for referral in Referral.objects.all():
        assert str(referral.id) not in text and str(referral.client_id) not in text
    assert not [c for c in Client.objects.values_list("id", flat=True) if str(c) in text]
    assert "Test" not in text and "Person" not in text  # the seeded clients' names


def test_csv_download(api, adam, history):
    response = api(adam).get(f"{URL}?start=2026-10&end=2026-11&format=csv")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    lines = response.content.decode().splitlines()
    assert lines[0] == "section,key,label,count"
    assert "total,total,All referrals,6" in lines
    assert "by_status,rejected,Rejected,1" in lines
    assert "by_month,2026-10,2026-10,2" in lines
    assert "figure,closed_loop_rate,,0.667" in lines


def test_reading_a_report_is_audited(api, sam, history, eastside):
    api(sam).get(f"{URL}?start=2026-10&end=2026-11")
    event = AuditEvent.objects.get(action="report.referrals")
    assert event.reason == "sent:2026-10:2026-11" and event.subject_ref == ""
    assert event.target_agency_id == eastside.id


def test_who_may_read_reports(api, alice, sam, erin, adam, make_integration, eastside):
    assert api(alice).get(URL).status_code == 403  # caseworkers: no
    assert api(make_integration(eastside, scopes=["audit:read"])).get(URL).status_code == 403
    for reader in (sam, erin, adam):
        assert api(reader).get(URL).status_code == 200


@pytest.mark.parametrize(
    "query",
    ["start=2026-13", "start=2026-11&end=2026-10", "start=2025-01&end=2026-01", "direction=both"],
)
def test_bad_periods_are_400(api, sam, query):
    response = api(sam).get(f"{URL}?{query}")
    assert response.status_code == 400, query
    assert response["Content-Type"] == "application/problem+json"


def test_the_default_period_is_this_month(api, sam, seed, eastside, safehouse):
    from django.utils import timezone

    seed(eastside, safehouse, S.REQUESTED, sent_at=timezone.now())
    body = api(sam).get(URL).json()
    assert body["start"] == body["end"] == timezone.now().strftime("%Y-%m")
    assert body["total"]["count"] == 1
