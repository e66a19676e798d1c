"""The consent receipt a client takes home: plain words, in their language, Kantara-shaped.

Shape: Kantara Initiative Consent Receipt Specification v1.1 (`consent_receipt_json`), plus the
legal extras the product needs (expiry, how to withdraw, not a condition of service, signer).
It names no other client and no internal id beyond its reference number; the client is named
only by that reference (a lost receipt must not identify a survivor). Survivor-facing text here
is checked for grade-8 readability by tests/console/test_plain_language.py.
"""

from __future__ import annotations

from typing import Any

from django.utils import formats, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from clients.categories import ALL_CATEGORIES
from consent.models import Consent, ConsentStatus
from consent.policy import consent_categories
from console.present import short_ref

# One plain sentence per data category (shown on the consent form and on the receipt).
CATEGORY_SENTENCES = {
    "identity": gettext_lazy("Your name and date of birth."),
    "contact": gettext_lazy(
        "How to reach you: phone, email, address, and how to contact you safely."
    ),
    "demographics": gettext_lazy("Your language, your gender and how many people live with you."),
    "safety": gettext_lazy("Notes about risks to your safety."),
    "immigration": gettext_lazy("Your immigration status and notes about it."),
    "health": gettext_lazy("Notes about your health."),
}
PURPOSE_SENTENCES = {
    "legal_services": gettext_lazy("To get you legal help."),
    "housing": gettext_lazy("To help you find a safe place to live."),
    "social_services": gettext_lazy("To connect you with support services."),
    "health_care": gettext_lazy("To get you health care."),
    "safety_planning": gettext_lazy("To help you plan for your safety."),
    "case_coordination": gettext_lazy("So the two agencies can work together to help you."),
}
METHOD_SENTENCES = {
    "written": gettext_lazy("You signed a paper form."),
    "electronic": gettext_lazy("You signed on a screen."),
    "verbal_witnessed": gettext_lazy("You said yes out loud, and someone else heard it."),
}
KANTARA_PURPOSE_CATEGORY = {  # Kantara v1.1 purpose categories (Appendix) closest to ours
    "legal_services": "Core Function",
    "housing": "Core Function",
    "social_services": "Core Function",
    "health_care": "Core Function",
    "safety_planning": "Core Function",
    "case_coordination": "Contracting",
}
LANGUAGES = ("en", "es")


def receipt_language(requested: str | None) -> str:
    return requested if requested in LANGUAGES else "en"


def _date(value: Any) -> str:
    return formats.date_format(value, "DATE_FORMAT") if value else ""


def consent_receipt(*, consent: Consent, language: str) -> dict[str, Any]:
    """The receipt's sections in `language` (plain data for the template and the PDF)."""
    with translation.override(receipt_language(language)):
        recipient, sender = consent.recipient_agency.name, consent.client.agency.name
        refused = consent.status == ConsentStatus.REFUSED
        covered = consent_categories(consent)
        shown = [CATEGORY_SENTENCES[c] for c in ALL_CATEGORIES if c in covered]
        return {
            "language": receipt_language(language),
            "reference": "C-" + short_ref(consent.pk),
            "refused": refused,
            "date": _date(consent.created_at),
            "who": _("%(sender)s will share your information with %(recipient)s.")
            % {"sender": sender, "recipient": recipient},
            "what": [str(s) for s in shown],
            "why": str(PURPOSE_SENTENCES.get(consent.purpose, "")),
            "until": _("Until %(date)s. After that, they cannot see it.")
            % {"date": _date(consent.expires_at)},
            "how": str(METHOD_SENTENCES.get(consent.method, "")),
            "stop": [
                _("You can change your mind at any time."),
                _("Tell %(sender)s that you want to stop.") % {"sender": sender},
                _("They will stop sharing right away."),
                _("%(recipient)s may keep what they have already seen.") % {"recipient": recipient},
            ],
            "choice": _("Saying no will not stop you getting help from us."),
            "refusal": _(
                "You said no. We will not share your information with %(recipient)s. "
                "You will still get help from us."
            )
            % {"recipient": recipient},
            "sender": sender,
            "recipient": recipient,
        }


def consent_receipt_json(*, consent: Consent, language: str) -> dict[str, Any]:
    """The machine-readable receipt, with the field names of Kantara CR v1.1."""
    receipt = consent_receipt(consent=consent, language=language)
    categories = sorted(consent_categories(consent))
    return {
        "version": "KI-CR-v1.1.0",
        "jurisdiction": "US",
        "consentTimestamp": int(consent.created_at.timestamp()),
        "collectionMethod": consent.method,
        "consentReceiptID": receipt["reference"],
        "publicKey": None,
        "language": receipt["language"],
        "piiPrincipalId": receipt["reference"],
        "piiControllers": [{"piiController": receipt["sender"], "onBehalf": False}],
        "policyUrl": None,
        "services": [
            {
                "service": receipt["recipient"],
                "purposes": [
                    {
                        "purpose": receipt["why"],
                        "purposeCategory": [KANTARA_PURPOSE_CATEGORY.get(consent.purpose, "")],
                        "consentType": "EXPLICIT",
                        "piiCategory": categories,
                        "primaryPurpose": True,
                        "termination": receipt["until"],
                        "thirdPartyDisclosure": not receipt["refused"],
                        "thirdPartyName": receipt["recipient"],
                    }
                ],
            }
        ],
        "sensitive": bool(set(categories) & {"immigration", "health", "safety"}),
        "spiCat": [c for c in categories if c in {"immigration", "health", "safety"}],
        # The product's legal extras (mission-anchors b2).
        "expiry": consent.expires_at.isoformat() if consent.expires_at else None,
        "refused": receipt["refused"],
        "revocation": " ".join(receipt["stop"]),
        "notConditionOfService": receipt["choice"],
        "signedBy": consent.signed_by,
        "signerRelationship": consent.signer_relationship,
    }
