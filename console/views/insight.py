"""Charts over a chosen range, and the accounting of disclosures of one client (printable)."""

from __future__ import annotations

import datetime
import uuid
from typing import Any

from django import forms
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from audit.stats import disclosures_per_recipient, events_per_day
from clients.accounting import disclosures_qs_for, disclosures_read
from console.access import CASE, COMPLIANCE, screen
from console.charts import events_chart, recipients_chart
from console.present import categories_text, short_ref
from console.views.audit import agency_names, day_start
from core.actor import Actor

ACCOUNTING_PAGE = 200


class RangeForm(forms.Form):
    since = forms.DateField(
        required=False, label="From", widget=forms.DateInput(attrs={"type": "date"})
    )
    until = forms.DateField(
        required=False, label="To (inclusive)", widget=forms.DateInput(attrs={"type": "date"})
    )


def _range(form: RangeForm) -> tuple[datetime.date, datetime.date]:
    today = timezone.now().date()
    data = form.cleaned_data if form.is_valid() else {}
    until = (data.get("until") or today) + datetime.timedelta(days=1)
    since = data.get("since") or until - datetime.timedelta(days=14)
    if since >= until or (until - since).days > 366:
        since = until - datetime.timedelta(days=14)
    return since, until


@screen(COMPLIANCE)
def audit_charts(request: HttpRequest, actor: Actor) -> HttpResponse:
    form = RangeForm(request.GET or None)
    since, until = _range(form)
    start, end = day_start(since), day_start(until)
    assert start is not None and end is not None
    days = events_per_day(actor=actor, since=start, until=end)
    counts = disclosures_per_recipient(actor=actor, since=start, until=end)
    context = {
        "form": form,
        "since": since,
        "last": until - datetime.timedelta(days=1),
        "events": events_chart(days, since, until),
        "recipients": recipients_chart(counts, agency_names()),
    }
    return render(request, "console/audit/charts.html", context)


def _entries(actor: Actor, client_id: uuid.UUID) -> list[dict[str, Any]]:
    events = list(
        disclosures_qs_for(actor=actor, client_id=client_id).order_by("-id")[:ACCOUNTING_PAGE]
    )
    return [
        {
            "at": e["occurred_at"],
            "recipient": e["recipient_agency"]["name"] or "Unknown agency",
            "what": categories_text(e["categories"]),
            "purpose": (e["purpose"] or "").replace("_", " "),
            "consent": f"C-{short_ref(e['consent_id'])}" if e["consent_id"] else "",
            "referral": short_ref(e["referral_id"]) if e["referral_id"] else "",
            "referral_id": e["referral_id"],
        }
        for e in disclosures_read(actor=actor, client_id=client_id, events=events)
    ]


def _accounting(
    request: HttpRequest, actor: Actor, client_id: uuid.UUID | None, form: Any = None
) -> HttpResponse:
    context: dict[str, Any] = {"client_id": client_id, "entries": None, "ref": "", "form": form}
    if client_id is not None:
        context.update(entries=_entries(actor, client_id), ref=short_ref(client_id))
    return render(request, "console/audit/disclosures.html", context)


@screen(CASE)
def client_disclosures(request: HttpRequest, actor: Actor, client_id: uuid.UUID) -> HttpResponse:
    return _accounting(request, actor, client_id)


class ClientRefForm(forms.Form):
    client = forms.UUIDField(label="Client reference (client id)")


@screen(COMPLIANCE)
def audit_disclosures(request: HttpRequest, actor: Actor) -> HttpResponse:
    form = ClientRefForm(request.GET or None)
    client_id = form.cleaned_data["client"] if form.is_valid() else None
    return _accounting(request, actor, client_id, form)
