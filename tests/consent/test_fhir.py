"""The FHIR Consent the code emits is valid R4 and matches the mapping docs/consent.md gives."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone
from fhir.resources.R4B.consent import Consent as FhirConsent

from consent.fhir import consent_resource
from consent.models import Consent, ConsentStatus

DOC = Path(__file__).resolve().parents[2] / "docs" / "consent.md"


@pytest.fixture
def record(person, safehouse):  # type: ignore[no-untyped-def]
    def make(**over):  # type: ignore[no-untyped-def]
        now = timezone.now()
        fields = {
            "client": person,
            "agency_id": person.agency_id,
            "recipient_agency": safehouse,
            "categories": ["contact", "identity"],
            "purpose": "housing",
            "valid_from": now - timedelta(minutes=1),
            "expires_at": now + timedelta(days=30),
            "method": "written",
            "signed_by": "client",
            "signer_relationship": "self",
            "informed": True,
            "status": ConsentStatus.ACTIVE,
            "evidence_sha256": "ab" * 32,
        }
        fields.update(over)
        return Consent.objects.create(**fields)

    return make


def _valid(resource):  # type: ignore[no-untyped-def]
    return FhirConsent.model_validate(resource)


@pytest.mark.parametrize(
    ("over", "status"),
    [
        ({}, "active"),
        ({"status": ConsentStatus.REFUSED, "expires_at": None}, "rejected"),
        ({"status": ConsentStatus.REVOKED, "revoked_at": timezone.now()}, "inactive"),
        ({"status": ConsentStatus.EXPIRED}, "inactive"),
        ({"expires_at": "in-one-second"}, None),  # expires by time below
        ({"informed": False}, "inactive"),
    ],
)
def test_it_is_valid_fhir_r4_in_every_status(record, over, status):
    if over.get("expires_at") == "in-one-second":  # now, not at collection (a slow suite)
        over = {**over, "expires_at": timezone.now() + timedelta(seconds=1)}
    consent = record(**over)
    if status is None:
        Consent.objects.filter(pk=consent.pk).update(
            valid_from=timezone.now() - timedelta(days=2),
            expires_at=timezone.now() - timedelta(days=1),
        )
        consent.refresh_from_db()
        status = "inactive"
    parsed = _valid(consent_resource(consent))
    assert parsed.status == status


def test_it_carries_the_documented_elements(record, person, safehouse):
    consent = record(signed_by="representative", signer_relationship="guardian")
    emitted = consent_resource(consent)
    parsed = _valid(emitted)
    assert {c.coding[0].code for c in parsed.category} == {"IDSCL", "59284-0"}
    assert parsed.scope.coding[0].code == "patient-privacy"
    assert parsed.patient.reference == f"Patient/{person.id}"
    assert parsed.performer[0].type == "RelatedPerson"
    assert parsed.performer[0].display == "representative: guardian"
    assert parsed.organization[0].reference == f"Organization/{person.agency_id}"
    assert parsed.sourceReference.identifier.value == "ab" * 32
    assert parsed.verification[0].verified is True
    assert parsed.verification[0].extension[0].valueCode == "written"
    provision = parsed.provision
    assert provision.type == "permit" and provision.period.end is not None
    assert provision.actor[0].role.coding[0].code == "IRCP"
    assert provision.actor[0].reference.reference == f"Organization/{safehouse.id}"
    assert provision.action[0].coding[0].code == "disclose"
    assert provision.purpose[0].code == "housing"
    assert [c.code for c in provision.class_fhir] == ["contact", "identity"]


def test_the_client_signing_is_the_patient_and_no_hash_means_no_source(record, person):
    emitted = consent_resource(record(evidence_sha256=""))
    assert emitted["performer"] == [{"reference": f"Patient/{person.id}"}]
    assert "sourceReference" not in emitted and "sourceAttachment" not in emitted
    assert "end" in emitted["provision"]["period"]


def _documented_elements() -> list[str]:
    text = DOC.read_text()
    table = text[text.index("### FHIR R4 Consent") : text.index("### VAWA")]
    return re.findall(r"^\| `([\w.]+)`", table, flags=re.M)


def test_every_element_the_doc_maps_is_emitted(record):
    elements = _documented_elements()
    assert len(elements) >= 15, elements
    emitted = consent_resource(record())
    for element in elements:
        node = emitted
        for part in element.split("."):
            assert part in node, f"docs/consent.md maps `{element}`, the code emits none"
            node = node[part]
    top = {e.split(".")[0] for e in elements}
    extra = set(emitted) - top - {"resourceType", "id"}
    assert not extra, f"emitted but not in the doc's mapping: {sorted(extra)}"


def test_no_free_text_is_emitted(record):
    from crypto.service import seal_text

    consent = record()
    consent.purpose_detail_sealed = seal_text(
        client=consent.client, row=consent, column="purpose_detail", value="canary detail"
    )
    consent.save(update_fields=["purpose_detail_sealed"])
    assert "canary" not in str(consent_resource(consent))
