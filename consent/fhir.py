"""A consent as a FHIR R4 Consent resource (the mapping `docs/consent.md` §6 documents).

No survivor data: the client is `Patient/<id>`, the signer a relationship (never a name), the
signed form only its SHA-256, and no free text (`purpose_detail`, `revoke_reason`).
"""

from __future__ import annotations

from typing import Any

from consent.models import Consent, ConsentStatus, SignedBy
from consent.policy import consent_shown_status, consent_state

BASE = "urn:referral-hub"
TERMINOLOGY = "http://terminology.hl7.org/CodeSystem"

# Our status as shown (expiry by time counts) -> Consent.status.
STATUS: dict[str, str] = {
    ConsentStatus.ACTIVE: "active",
    ConsentStatus.REFUSED: "rejected",
    ConsentStatus.REVOKED: "inactive",
    ConsentStatus.EXPIRED: "inactive",
}


def _ref(kind: str, ident: Any) -> dict[str, str]:
    return {"reference": f"{kind}/{ident}"}


def _when(value: Any) -> str | None:
    return value.isoformat() if value else None


def _coding(system: str, code: str) -> dict[str, Any]:
    return {"coding": [{"system": system, "code": code}]}


def fhir_status(record: Consent) -> str:
    """`active` only while it is (or will be, from `valid_from`) in effect; else as mapped."""
    status = STATUS.get(consent_shown_status(record), "inactive")
    if status == "active" and consent_state(record) not in ("active", "not_yet_valid"):
        return "inactive"  # not informed, or an unknown status: fail closed
    return status


def _performer(record: Consent) -> dict[str, str]:
    if record.signed_by == SignedBy.CLIENT:
        return _ref("Patient", record.client_id)
    return {"type": "RelatedPerson", "display": f"representative: {record.signer_relationship}"}


def _source(record: Consent) -> dict[str, Any]:
    if not record.evidence_sha256:
        return {}
    identifier = {"system": f"{BASE}:evidence-sha256", "value": record.evidence_sha256}
    reference = {"type": "DocumentReference", "identifier": identifier}
    return {"sourceReference": {**reference, "display": "signed release form (hash only)"}}


def _provision(record: Consent) -> dict[str, Any]:
    period = {"start": _when(record.valid_from)}
    if record.expires_at:
        period["end"] = _when(record.expires_at)
    recipient_role = _coding(f"{TERMINOLOGY}/v3-ParticipationType", "IRCP")
    return {
        "type": "permit",
        "period": period,
        "actor": [
            {"role": recipient_role, "reference": _ref("Organization", record.recipient_agency_id)}
        ],
        "action": [_coding(f"{TERMINOLOGY}/consentaction", "disclose")],
        "purpose": [{"system": f"{BASE}:purpose", "code": record.purpose}],
        "class": [{"system": f"{BASE}:data-category", "code": c} for c in record.categories],
    }


def consent_resource(record: Consent) -> dict[str, Any]:
    """The FHIR R4 Consent for `record`."""
    return {
        "resourceType": "Consent",
        "id": str(record.id),
        "status": fhir_status(record),
        "scope": _coding(f"{TERMINOLOGY}/consentscope", "patient-privacy"),
        "category": [
            _coding(f"{TERMINOLOGY}/v3-ActCode", "IDSCL"),
            _coding("http://loinc.org", "59284-0"),
        ],
        "patient": _ref("Patient", record.client_id),
        "dateTime": _when(record.created_at),
        "performer": [_performer(record)],
        "organization": [_ref("Organization", record.agency_id)],
        **_source(record),
        "policyRule": {"text": "Client release of information (the recording agency's form)"},
        "verification": [
            {
                "extension": [{"url": f"{BASE}:consent-method", "valueCode": record.method}],
                "verified": record.informed,
                "verificationDate": _when(record.created_at),
            }
        ],
        "provision": _provision(record),
    }
