"""The start page: the sign-in form, or a caseworker's received and sent referrals."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from clients.reads import client_identities
from clients.selectors import client_qs_for
from console.access import CASE, page_headers, public, screen
from console.nav import home_for
from console.present import (
    PRIORITY_WORDS,
    STATUS_WORDS,
    display_name,
    overdue,
    short_ref,
    status_tag,
)
from console.views.auth import sign_in_page
from core.actor import Actor
from referrals.models import Priority, Referral, ReferralStatus
from referrals.selectors import INBOX, OUTBOX, referral_list_for

BOXES = {"received": INBOX, "sent": OUTBOX}


@public()
def start(request: HttpRequest) -> HttpResponse:
    """`/app/`: who is not signed in gets the sign-in page; others their start page."""
    actor = getattr(request, "console_actor", None)
    if actor is None:
        return page_headers(sign_in_page(request))
    if home_for(actor) != "/app/":
        return page_headers(redirect(home_for(actor)))
    return referral_boxes(request)


def _filters(request: HttpRequest) -> dict[str, str]:
    status = request.GET.get("status", "")
    priority = request.GET.get("priority", "")
    return {
        "box": request.GET.get("box", "received")
        if request.GET.get("box") in BOXES
        else "received",
        "status": status if status in ReferralStatus.values else "",
        "priority": priority if priority in Priority.values else "",
    }


def _names(actor: Actor, referrals: list[Referral]) -> dict[Any, str]:
    """Display names of the sender's own clients on this page (one audited `client.list`)."""
    ids = {r.client_id for r in referrals if r.sender_agency_id == actor.agency_id}
    if not ids:
        return {}
    clients = list(client_qs_for(actor).filter(pk__in=ids))
    identities = client_identities(actor=actor, clients=clients)
    return {pk: display_name(identity) for pk, identity in identities.items()}


def _row(referral: Referral, actor: Actor, names: dict[Any, str]) -> dict[str, Any]:
    sent = referral.sender_agency_id == actor.agency_id
    other = referral.recipient_agency if sent else referral.sender_agency
    return {
        "id": referral.id,
        "ref": short_ref(referral.id),
        "who": names.get(referral.client_id, "") if sent else "",
        "other_agency": other.name,
        "service": referral.program.name
        if referral.program
        else referral.get_service_type_display(),
        "priority": PRIORITY_WORDS.get(referral.priority, referral.priority),
        "urgent": referral.priority != Priority.ROUTINE,
        "status": status_tag(referral.status),
        "deadline": referral.response_deadline,
        "overdue": overdue(referral.response_deadline, referral.status),
    }


@screen(CASE)
def referral_boxes(request: HttpRequest, actor: Actor) -> HttpResponse:
    chosen = _filters(request)
    rows = referral_list_for(
        actor,
        box=BOXES[chosen["box"]],
        status=chosen["status"] or None,
        priority=chosen["priority"] or None,
    )  # the selector's order: received by priority and deadline, sent newest first
    page = Paginator(rows, settings.CONSOLE_PAGE_SIZE).get_page(request.GET.get("page"))
    items = list(page.object_list)
    names = _names(actor, items)
    context = {
        "filters": chosen,
        "page": page,
        "rows": [_row(r, actor, names) for r in items],
        "statuses": [(value, words) for value, (words, _) in STATUS_WORDS.items()],
        "priorities": list(PRIORITY_WORDS.items()),
        "query": {k: v for k, v in chosen.items() if v},
    }
    template = "console/referrals/_table.html" if request.htmx else "console/referrals/boxes.html"  # type: ignore[attr-defined]
    return render(request, template, context)
