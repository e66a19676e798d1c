"""The FHIR view validates as an R4 (R4B) Bundle and carries no client data."""

from __future__ import annotations

import pytest
from fhir.resources.R4B.bundle import Bundle

from tests.referrals.conftest import ANA, SECRET_REASON


@pytest.mark.parametrize(
    ("status", "task_status"),
    [
        ("requested", "requested"),
        ("accepted", "accepted"),
        ("in-progress", "in-progress"),
        ("expired", "cancelled"),
        ("entered-in-error", "entered-in-error"),
    ],
)
def test_the_bundle_is_valid_fhir_r4(api, alice, referral, status, task_status):
    from referrals.models import Referral

    Referral.objects.filter(pk=referral["id"]).update(status=status)
    response = api(alice).get(f"/api/v1/referrals/{referral['id']}/fhir")
    assert response.status_code == 200, response.content
    bundle = Bundle.model_validate(response.json())
    task, request, consent = (e.resource for e in bundle.entry)
    assert task.__resource_type__ == "Task" and task.status == task_status
    assert task.businessStatus.text == status
    assert task.priority == "urgent" and task.focus.reference == f"ServiceRequest/{referral['id']}"
    assert (
        request.__resource_type__ == "ServiceRequest" and request.code.coding[0].code == "shelter"
    )
    assert consent.__resource_type__ == "Consent" and consent.status == "active"
    text = response.content.decode()
    for value in (*ANA.values(), SECRET_REASON):
        assert value not in text


def test_the_recipient_gets_the_same_view(api, dave, referral):
    response = api(dave).get(f"/api/v1/referrals/{referral['id']}/fhir")
    assert response.status_code == 200
    Bundle.model_validate(response.json())
