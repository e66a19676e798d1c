"""Recording consent (or a refusal) with a guided form, and the client's receipt."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any, cast

from django import forms
from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils import timezone

from agencies.selectors import agency_directory
from clients.categories import ALL_CATEGORIES, SPECIAL_CATEGORIES
from clients.recipients import recipients_of
from clients.selectors import CONSENT, client_get_for
from consent import services
from consent.models import Method, Purpose, SignerRelationship
from consent.policy import consent_categories, consent_is_active
from consent.selectors import consent_get_for, consent_get_for_revoke, consent_shows_detail
from console.access import CASE, screen
from console.forms import add_refusal
from console.present import categories_text, short_ref
from console.receipt import (
    CATEGORY_SENTENCES,
    METHOD_SENTENCES,
    PURPOSE_SENTENCES,
    consent_receipt,
    consent_receipt_json,
    receipt_language,
)
from core.actor import Actor
from core.errors import Conflict, NotFound, ValidationFailed
from referrals.models import Referral
from referrals.selectors import party_of, referral_get_for
from referrals.states import SENDER

PURPOSE_WORDS = {
    "legal_services": "Legal help",
    "housing": "Housing",
    "social_services": "Support services",
    "health_care": "Health care",
    "safety_planning": "Safety planning",
    "case_coordination": "Working together on the case",
}


class ConsentForm(forms.Form):
    decision = forms.ChoiceField(
        label="What did the client decide?",
        choices=[("yes", "Yes, share"), ("no", "No, do not share")],
        widget=forms.RadioSelect,
        help_text="If the client says no, they still get our help.",
    )
    recipient = forms.ChoiceField(label="Who would see it?")
    categories = forms.MultipleChoiceField(
        label="What would they see?",
        choices=[(c, CATEGORY_SENTENCES[c]) for c in ALL_CATEGORIES],
        widget=forms.CheckboxSelectMultiple,
        help_text="Choose only what the other agency needs.",
    )
    special_acknowledged = forms.BooleanField(
        required=False,
        label="The client understands that immigration or health details are especially "
        "sensitive, and still agrees to share them",
    )
    purpose = forms.ChoiceField(
        label="Why?",
        choices=[(p, f"{PURPOSE_WORDS[p]}: {PURPOSE_SENTENCES[p]}") for p in Purpose.values],
        widget=forms.RadioSelect,
    )
    days = forms.IntegerField(label="For how many days?", min_value=1, initial=90)
    method = forms.ChoiceField(
        label="How did the client agree?",
        choices=[(m, METHOD_SENTENCES[m]) for m in Method.values],
        widget=forms.RadioSelect,
    )
    signed_by = forms.ChoiceField(
        label="Who agreed?",
        choices=[("client", "The client"), ("representative", "Someone on the client's behalf")],
        widget=forms.RadioSelect,
        initial="client",
    )
    relationship = forms.ChoiceField(
        required=False,
        label="If someone agreed on the client's behalf, who are they to the client?",
        choices=[("", "Not needed")]
        + [(r, r.replace("_", " ").capitalize()) for r in SignerRelationship.values if r != "self"],
    )
    informed = forms.BooleanField(
        required=False,
        label="I explained to the client what will be shared, with whom, why, until when, "
        "and how to stop",
    )
    purpose_detail = forms.CharField(
        required=False, max_length=1000, label="Notes (optional)", widget=forms.Textarea
    )
    language = forms.ChoiceField(
        label="Language of the receipt",
        choices=[("en", "English"), ("es", "Español (Spanish)")],
        initial="en",
    )

    def __init__(self, *args: Any, recipients: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = cast(forms.ChoiceField, self.fields["recipient"])
        field.choices = [("", "Choose an agency"), *recipients]
        # The limit itself is the service's (consent.rules.clean_period); this only says it.
        self.fields["days"].help_text = f"At most {settings.CONSENT_MAX_DAYS} days."

    def terms(self) -> services.ConsentTerms:
        data = self.cleaned_data
        return services.ConsentTerms(
            recipient_agency_id=uuid.UUID(data["recipient"]),
            categories=data["categories"],
            purpose=data["purpose"],
            method=data["method"],
            signed_by=data["signed_by"],
            signer_relationship=data["relationship"] or None,
            purpose_detail=data["purpose_detail"],
            expires_at=timezone.now() + timedelta(days=data["days"]),
            informed=data["informed"],
            special_categories_acknowledged=data["special_acknowledged"],
        )


FIELDS = {  # service field names -> form field names
    "recipient_agency_id": "recipient",
    "categories": "categories",
    "special_categories_acknowledged": "special_acknowledged",
    "expires_at": "days",
    "informed": "informed",
    "signer_relationship": "relationship",
    "signed_by": "signed_by",
    "purpose_detail": "purpose_detail",
    "purpose": "purpose",
    "method": "method",
}


def _recipients(actor: Actor) -> list[tuple[str, str]]:
    return [(str(a.pk), a.name) for a in agency_directory() if a.pk != actor.agency_id]


def _record(actor: Actor, client: Any, form: ConsentForm) -> Any:
    record = (
        services.consent_grant
        if form.cleaned_data["decision"] == "yes"
        else services.consent_refuse
    )
    return record(actor=actor, client=client, terms=form.terms())


@screen(CASE, methods=("GET", "POST"))
def consent_new(request: HttpRequest, actor: Actor, client_id: uuid.UUID) -> HttpResponse:
    client = client_get_for(actor=actor, client_id=client_id, need=CONSENT)
    referral = _for_referral(
        actor, client, request.POST.get("referral") or request.GET.get("referral")
    )
    form = ConsentForm(
        request.POST or None,
        recipients=_recipients(actor),
        initial={"recipient": request.GET.get("recipient", "")},
    )
    if request.method == "POST" and form.is_valid():
        try:
            consent = _record(actor, client, form)
        except (ValidationFailed, Conflict) as refusal:
            add_refusal(form, refusal, FIELDS)
        else:
            back = f"&referral={referral.pk}" if referral else ""
            return redirect(
                f"/app/consents/{consent.pk}/receipt?lang={form.cleaned_data['language']}{back}"
            )
    context = {
        "form": form,
        "client": client,
        "special": sorted(SPECIAL_CATEGORIES),
        "referral": referral,
    }
    return render(request, "console/consents/new.html", context, status=400 if form.errors else 200)


def _for_referral(actor: Actor, client: Any, value: str | None) -> Referral | None:
    """The referral this consent is being recorded for (the sender's own, about this client),
    so the receipt can lead back to it; anything else is ignored."""
    try:
        referral = referral_get_for(actor=actor, referral_id=uuid.UUID(str(value)))
    except (ValueError, NotFound):
        return None
    if referral.client_id != client.pk or party_of(actor, referral) != SENDER:
        return None
    return referral


def _owned(actor: Actor, consent_id: uuid.UUID) -> Any:
    """A consent of the actor's own client (a recipient relying on it gets no receipt)."""
    consent = consent_get_for(actor=actor, consent_id=consent_id)
    if not consent_shows_detail(actor=actor, consent=consent):
        raise NotFound()
    return consent


@screen(CASE)
def consent_receipt_page(request: HttpRequest, actor: Actor, consent_id: uuid.UUID) -> HttpResponse:
    consent = _owned(actor, consent_id)
    language = receipt_language(request.GET.get("lang"))
    context = {
        "receipt": consent_receipt(consent=consent, language=language),
        "consent": consent,
        "referral": _for_referral(actor, consent.client, request.GET.get("referral")),
    }
    return render(request, "console/consents/receipt.html", context)


@screen(CASE)
def consent_receipt_pdf(request: HttpRequest, actor: Actor, consent_id: uuid.UUID) -> HttpResponse:
    from console.pdf import receipt_pdf

    consent = _owned(actor, consent_id)
    receipt = consent_receipt(consent=consent, language=receipt_language(request.GET.get("lang")))
    response = HttpResponse(receipt_pdf(receipt), content_type="application/pdf")
    response["Content-Disposition"] = (
        f'attachment; filename="consent-receipt-{receipt["reference"]}.pdf"'
    )
    return response


@screen(CASE)
def consent_receipt_data(request: HttpRequest, actor: Actor, consent_id: uuid.UUID) -> HttpResponse:
    consent = _owned(actor, consent_id)
    language = receipt_language(request.GET.get("lang"))
    body = consent_receipt_json(consent=consent, language=language)
    response = JsonResponse(body, json_dumps_params={"ensure_ascii": False, "indent": 2})
    response["Content-Disposition"] = (
        f'attachment; filename="consent-receipt-{body["consentReceiptID"]}.json"'
    )
    return response


class WithdrawForm(forms.Form):
    reason = forms.CharField(
        label="Why is the consent being withdrawn?",
        help_text="For example: the client asked us to stop sharing. Only your agency sees this.",
        max_length=services.REVOKE_REASON_MAX,
        widget=forms.Textarea(attrs={"rows": 3, "autocomplete": "off"}),
        error_messages={"required": "Say why the consent is being withdrawn."},
    )


def _ordered(consent: Any) -> list[str]:
    covered = consent_categories(consent)
    return [c for c in ALL_CATEGORIES if c in covered]


def _consequences(consent: Any) -> dict[str, Any]:
    """What withdrawing changes, in plain words (who holds referrals under it: the same
    registry the service tells, `clients.recipients`)."""
    recipient = consent.recipient_agency.name
    held = recipients_of(consent=consent).get(consent.recipient_agency_id, [])
    count = len(held)
    lines = [
        f"{recipient} stops seeing {categories_text(_ordered(consent))} at once.",
    ]
    if count:
        lines.append(
            f"{count} referral{'s' if count != 1 else ''} to {recipient} "
            f"{'use' if count != 1 else 'uses'} this consent. "
            f"{'They stay' if count != 1 else 'It stays'} open, but {recipient} no longer sees "
            "the client's details, the reason for the referral or your messages."
        )
        lines.append(f"We tell {recipient} that the client withdrew consent.")
    lines += [
        f"What {recipient} has already seen cannot be taken back.",
        "This cannot be undone. If the client agrees again later, record a new consent.",
        "The client's help from us does not change.",
    ]
    return {"recipient": recipient, "lines": lines, "referrals": count}


@screen(CASE, methods=("GET", "POST"))
def consent_withdraw(request: HttpRequest, actor: Actor, consent_id: uuid.UUID) -> HttpResponse:
    """Withdraw (revoke) a consent of the agency's own client, after saying what changes."""
    consent = consent_get_for_revoke(actor=actor, consent_id=consent_id)
    form = WithdrawForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.consent_revoke(
                actor=actor, consent=consent, reason=form.cleaned_data["reason"]
            )
        except ValidationFailed as refusal:
            add_refusal(form, refusal, {"reason": "reason"})
        except Conflict:
            form.add_error(None, "This consent is no longer in effect: there is nothing to stop.")
        else:
            return redirect(f"/app/clients/{consent.client_id}/?withdrawn=1#consents")
    context = {
        "form": form,
        "consent": consent,
        "ref": short_ref(consent.pk),
        "active": consent_is_active(consent),
        "consequences": _consequences(consent),
    }
    status = 400 if form.errors else 200
    return render(request, "console/consents/withdraw.html", context, status=status)
