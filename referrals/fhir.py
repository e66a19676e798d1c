"""A read-only FHIR R4 view of a referral: a Bundle of Task + ServiceRequest + Consent.

Task status codes follow the SDOH Clinical Care IG (TaskForReferralManagement). The patient is
referenced by opaque id only; no client field, reason or message text is included, so the view
discloses nothing beyond the referral's existence and state, in any status and under any
consent (the Consent is the referral's own, `consent.fhir`).
"""

from __future__ import annotations

from typing import Any

from consent.fhir import consent_resource
from referrals.models import Referral, ReferralStatus

SDOHCC = "http://hl7.org/fhir/us/sdoh-clinicalcare/StructureDefinition"
BASE = "urn:referral-hub"
SERVICE_TYPE_SYSTEM = f"{BASE}:service-type"

# Our statuses -> FHIR Task.status. `expired` has no Task code: it is `cancelled` with
# businessStatus `expired` (the deadline passed with no answer).
TASK_STATUS: dict[str, str] = {
    ReferralStatus.DRAFT: "draft",
    ReferralStatus.REQUESTED: "requested",
    ReferralStatus.ACCEPTED: "accepted",
    ReferralStatus.REJECTED: "rejected",
    ReferralStatus.CANCELLED: "cancelled",
    ReferralStatus.IN_PROGRESS: "in-progress",
    ReferralStatus.ON_HOLD: "on-hold",
    ReferralStatus.COMPLETED: "completed",
    ReferralStatus.FAILED: "failed",
    ReferralStatus.EXPIRED: "cancelled",
    ReferralStatus.ENTERED_IN_ERROR: "entered-in-error",
}
SERVICE_REQUEST_STATUS: dict[str, str] = {
    ReferralStatus.DRAFT: "draft",
    ReferralStatus.COMPLETED: "completed",
    ReferralStatus.ENTERED_IN_ERROR: "entered-in-error",
    ReferralStatus.ON_HOLD: "on-hold",
}
CLOSED: set[str] = {
    ReferralStatus.REJECTED,
    ReferralStatus.CANCELLED,
    ReferralStatus.FAILED,
    ReferralStatus.EXPIRED,
}


def _ref(kind: str, ident: Any) -> dict[str, str]:
    return {"reference": f"{kind}/{ident}"}


def _when(value: Any) -> str | None:
    return value.isoformat() if value else None


def _sr_status(status: str) -> str:
    if status in CLOSED:
        return "revoked"
    return SERVICE_REQUEST_STATUS.get(status, "active")


def service_request(referral: Referral) -> dict[str, Any]:
    return {
        "resourceType": "ServiceRequest",
        "id": str(referral.id),
        "meta": {"profile": [f"{SDOHCC}/SDOHCC-ServiceRequest"]},
        "status": _sr_status(referral.status),
        "intent": "order",
        "priority": referral.priority,
        "code": {"coding": [{"system": SERVICE_TYPE_SYSTEM, "code": referral.service_type}]},
        "subject": _ref("Patient", referral.client_id),
        "authoredOn": _when(referral.created_at),
        "requester": _ref("Organization", referral.sender_agency_id),
        "performer": [_ref("Organization", referral.recipient_agency_id)],
        "supportingInfo": [_ref("Consent", referral.consent_id)],
    }


def task(referral: Referral) -> dict[str, Any]:
    resource: dict[str, Any] = {
        "resourceType": "Task",
        "id": str(referral.id),
        "meta": {
            "versionId": str(referral.version),
            "profile": [f"{SDOHCC}/SDOHCC-TaskForReferralManagement"],
        },
        "status": TASK_STATUS[referral.status],
        "intent": "order",
        "priority": referral.priority,
        "code": {
            "coding": [{"system": "http://hl7.org/fhir/CodeSystem/task-code", "code": "fulfill"}]
        },
        "focus": _ref("ServiceRequest", referral.id),
        "for": _ref("Patient", referral.client_id),
        "authoredOn": _when(referral.created_at),
        "lastModified": _when(referral.updated_at),
        "requester": _ref("Organization", referral.sender_agency_id),
        "owner": _ref("Organization", referral.recipient_agency_id),
        "businessStatus": {"text": referral.status},
    }
    if referral.response_deadline:
        resource["restriction"] = {"period": {"end": _when(referral.response_deadline)}}
    return resource


def referral_bundle(referral: Referral) -> dict[str, Any]:
    """The FHIR Bundle (type `collection`) for one referral."""
    resources = [task(referral), service_request(referral), consent_resource(referral.consent)]
    return {
        "resourceType": "Bundle",
        "type": "collection",
        "entry": [
            {"fullUrl": f"{BASE}:{r['resourceType'].lower()}:{r['id']}", "resource": r}
            for r in resources
        ],
    }
