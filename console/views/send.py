"""Send a referral: choose a program from the directory, pick the consent, priority and reason."""

from __future__ import annotations

import uuid
from typing import Any

from django import forms
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from agencies.models import CapacityStatus, ServiceType
from agencies.selectors import program_search
from agencies.taxonomy import service_type_info
from clients.selectors import REFER, client_get_for
from consent.policy import consent_is_active
from consent.selectors import consent_qs_for_client
from console.access import CASE, screen
from console.forms import add_refusal
from console.present import PRIORITY_WORDS, categories_text, short_ref
from core.actor import Actor
from core.errors import Conflict, ValidationFailed
from referrals import services
from referrals.matching import program_refusal
from referrals.models import Priority

CAPACITY_WORDS: dict[str, str] = {
    CapacityStatus.AVAILABLE: "Taking referrals",
    CapacityStatus.WAITLIST: "Waiting list",
    CapacityStatus.FULL: "Full",
    CapacityStatus.ASSESSMENT_REQUIRED: "Assessment first",
}
LANGUAGE_WORDS = {"en": "English", "es": "Spanish", "vi": "Vietnamese", "fr": "French"}


class SendForm(forms.Form):
    program = forms.UUIDField(label="Program")
    consent = forms.UUIDField(label="Consent")
    priority = forms.ChoiceField(label="How urgent is it?", choices=list(PRIORITY_WORDS.items()))
    reason = forms.CharField(
        label="Why are you referring the client?",
        help_text="The receiving agency sees this only while the client's consent allows it.",
        max_length=4000,
        widget=forms.Textarea,
    )


def _programs(actor: Actor, chosen: dict[str, str]) -> list[dict[str, Any]]:
    """Other agencies' programs from the directory search (the API's own query), filtered."""
    found = program_search(
        service_type=chosen["service"] or None,
        language=chosen["language"] or None,
        capacity_status=chosen["capacity"] or None,
    ).exclude(agency_id=actor.agency_id or uuid.UUID(int=0))
    return [
        {
            "id": str(program.pk),
            "name": program.name,
            "agency": program.agency.name,
            "agency_id": program.agency_id,
            "service_type": program.service_type,
            "service": service_type_info(program.service_type).label,
            "languages": ", ".join(LANGUAGE_WORDS.get(x, x) for x in program.languages),
            "capacity": CAPACITY_WORDS.get(program.capacity_status, program.capacity_status),
            "closed": program_refusal(program, program.service_type) is not None,
            "description": program.description,
        }
        for program in found
    ]


def _consents(client: Any) -> list[dict[str, Any]]:
    return [
        {
            "id": str(c.pk),
            "label": f"Consent C-{short_ref(c.pk)} to {c.recipient_agency.name}: "
            f"{categories_text(c.categories)}, until {c.expires_at:%-d %B %Y}",
            "agency_id": c.recipient_agency_id,
        }
        for c in consent_qs_for_client(client=client).order_by("-created_at")
        if consent_is_active(c)
    ]


def _filters(request: HttpRequest) -> dict[str, str]:
    get = request.GET
    return {
        "service": get.get("service", "") if get.get("service") in ServiceType.values else "",
        "language": get.get("language", "") if get.get("language") in LANGUAGE_WORDS else "",
        "capacity": get.get("capacity", "") if get.get("capacity") in CapacityStatus.values else "",
    }


@screen(CASE, methods=("GET", "POST"))
def referral_send(request: HttpRequest, actor: Actor, client_id: uuid.UUID) -> HttpResponse:
    client = client_get_for(actor=actor, client_id=client_id, need=REFER)
    chosen = _filters(request)
    programs = _programs(actor, chosen)
    form = SendForm(request.POST or None, initial={"priority": Priority.ROUTINE})
    if request.method == "POST" and form.is_valid():
        every = _programs(actor, dict.fromkeys(("service", "language", "capacity"), ""))
        referral = _send(actor, client, form, {p["id"]: p for p in every})
        if referral is not None:
            return redirect(f"/app/referrals/{referral.pk}/?done=requested")
    context = {
        "client": client,
        "form": form,
        "filters": chosen,
        "programs": programs,
        "consents": _consents(client),
        "services": ServiceType.choices,
        "languages": list(LANGUAGE_WORDS.items()),
        "capacities": list(CAPACITY_WORDS.items()),
    }
    template = "console/referrals/_programs.html" if request.htmx else "console/referrals/send.html"  # type: ignore[attr-defined]
    return render(request, template, context, status=400 if form.errors else 200)


def _send(actor: Actor, client: Any, form: SendForm, programs: dict[str, Any]) -> Any:
    data = form.cleaned_data
    program = programs.get(str(data["program"]))
    if program is None:
        form.add_error("program", "Choose a program from the list.")
        return None
    try:
        return services.referral_create(
            actor=actor,
            client_id=client.pk,
            recipient_agency_id=program["agency_id"],
            program_id=data["program"],
            consent_id=data["consent"],
            service_type=program["service_type"],
            priority=data["priority"],
            reason=data["reason"],
        )
    except Conflict as refusal:
        if refusal.code != "consent_required":  # the program is full, closed or offers other help
            form.add_error("program", refusal.detail)
        else:
            form.add_error(
                "consent",
                f"Choose a consent from this client to {program['agency']} that is in effect.",
            )
    except ValidationFailed as refusal:
        add_refusal(
            form, refusal, {"reason": "reason", "program_id": "program", "consent_id": "consent"}
        )
    return None
