"""The start page: the sign-in form, or a caseworker's received and sent referrals."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from console.access import CASE, page_headers, public, screen
from console.nav import home_for
from console.present import (
    BASIS_WORDS,
    PRIORITY_WORDS,
    STATUS_WORDS,
    overdue,
    short_ref,
    status_tag,
)
from console.views.auth import sign_in_page
from core.actor import Actor
from referrals.models import Priority, ReferralStatus
from referrals.selectors import INBOX, OUTBOX, referral_list_for
from referrals.summary import ReferralListItem, referral_list_read

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


def _withheld(basis: str) -> str:
    """Why the name is not on the line, in plain words ('' for the sender's own client)."""
    if basis in ("permitted", "no_categories"):  # other details shared, but not the name
        return "the client's consent does not include the name"
    return BASIS_WORDS.get(basis, "") if basis else ""


def _row(item: ReferralListItem, actor: Actor) -> dict[str, Any]:
    """One line, from `referrals.summary.referral_list_read` (the API's list items): the name
    is shown only where the reader is entitled to it, under the same decision as the API."""
    referral = item.referral
    return {
        "id": referral.id,
        "ref": short_ref(referral.id),
        "who": item.client_display_name or "",
        "withheld": _withheld(item.client_withheld_basis),
        "other_agency": item.other_agency.name,
        "service": referral.program.name
        if referral.program
        else referral.get_service_type_display(),
        "priority": PRIORITY_WORDS.get(referral.priority, referral.priority),
        "urgent": referral.priority != Priority.ROUTINE,
        "status": status_tag(referral.status),
        "deadline": referral.response_deadline,
        "overdue": overdue(referral.response_deadline, referral.status),
        "unread": item.unread_messages,
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
    # Audited as the API's list: a `disclosure` per recipient line showing a name.
    items = referral_list_read(actor=actor, referrals=list(page.object_list))
    context = {
        "filters": chosen,
        "page": page,
        "rows": [_row(item, actor) for item in items],
        "statuses": [(value, words) for value, (words, _) in STATUS_WORDS.items()],
        "priorities": list(PRIORITY_WORDS.items()),
        "query": {k: v for k, v in chosen.items() if v},
    }
    template = "console/referrals/_table.html" if request.htmx else "console/referrals/boxes.html"  # type: ignore[attr-defined]
    return render(request, template, context)
