"""Compliance officer screens: the audit events, chain verification, signed export."""

from __future__ import annotations

import datetime
from typing import Any, cast

from django import forms
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone

from agencies.selectors import agency_directory
from audit.checkpoints import checkpoint_request
from audit.exports import audit_export_create
from audit.models import Outcome
from audit.selectors import audit_agency_of, audit_event_list_for
from audit.stats import actions_seen
from audit.verify import verify_chains
from console.access import COMPLIANCE, screen
from core.actor import Actor
from core.errors import Conflict

PAGE = 50


class EventFilter(forms.Form):
    since = forms.DateField(
        required=False, label="From", widget=forms.DateInput(attrs={"type": "date"})
    )
    until = forms.DateField(
        required=False, label="To (inclusive)", widget=forms.DateInput(attrs={"type": "date"})
    )
    action = forms.ChoiceField(required=False, label="Action")
    actor_id = forms.CharField(required=False, max_length=64, label="Who (user or system id)")
    outcome = forms.ChoiceField(
        required=False, label="Outcome", choices=[("", "Any outcome"), *Outcome.choices]
    )
    client = forms.UUIDField(required=False, label="Client reference (client id)")

    def __init__(self, *args: Any, actions: list[str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = cast(forms.ChoiceField, self.fields["action"])
        field.choices = [("", "Any action"), *((a, a) for a in actions)]


def day_start(day: datetime.date | None) -> datetime.datetime | None:
    if day is None:
        return None
    return datetime.datetime.combine(day, datetime.time.min, tzinfo=datetime.UTC)


def agency_names() -> dict[Any, str]:
    return {a.pk: a.name for a in agency_directory()}


def _event_row(event: Any, names: dict[Any, str]) -> dict[str, Any]:
    return {
        "at": event.occurred_at,
        "action": event.action,
        "outcome": event.outcome,
        "who": f"{event.actor_role or event.actor_kind} {event.actor_id[:8]}".strip(),
        "agency": names.get(event.actor_agency_id, "Platform"),
        "other": names.get(event.target_agency_id, ""),
        "owner": names.get(event.subject_agency_id, ""),
        "shared": names.get(event.shared_agency_id, ""),
        "object": f"{event.object_type} {event.object_id[:8]}".strip(),
        "client_ref": event.subject_ref[:10],
        "reason": event.reason,
        "categories": ", ".join(event.categories or []),
        "seq": f"{event.seq}",
        "intact": event.intact,
    }


@screen(COMPLIANCE)
def audit_events(request: HttpRequest, actor: Actor) -> HttpResponse:
    form = EventFilter(request.GET or None, actions=actions_seen(actor=actor))
    data = form.cleaned_data if form.is_valid() else {}
    until = data.get("until")
    events = audit_event_list_for(
        actor=actor,
        action=data.get("action") or None,
        actor_id=data.get("actor_id") or None,
        client_id=data.get("client"),
        outcome=data.get("outcome") or None,
        occurred_from=day_start(data.get("since")),
        occurred_to=day_start(until + datetime.timedelta(days=1)) if until else None,
    )
    page = Paginator(events, PAGE).get_page(request.GET.get("page"))
    names = agency_names()
    rows = [_event_row(e, names) for e in page.object_list]
    query = {k: v for k, v in request.GET.items() if k != "page" and v}
    context = {
        "form": form,
        "page": page,
        "rows": rows,
        "altered": sum(not r["intact"] for r in rows),
        "query": query,
    }
    return render(request, "console/audit/events.html", context)


@screen(COMPLIANCE)
def audit_verify(request: HttpRequest, actor: Actor) -> HttpResponse:
    agency = audit_agency_of(actor)
    report = verify_chains([str(agency)])
    chain = report.chains[0] if report.chains else None
    checkpoint = chain.checkpoint if chain else None
    signed_to = int(checkpoint["seq"]) if checkpoint else 0
    context = {
        "report": report,
        "chain": chain,
        "checkpoint": checkpoint,
        "unsigned": max((chain.last_seq if chain else 0) - signed_to, 0),
        "agency_id": agency,
        "checked_at": timezone.now(),
        "signed": request.GET.get("signed", ""),
        "refused": request.GET.get("refused", ""),
    }
    return render(request, "console/audit/verify.html", context)


@screen(COMPLIANCE, methods=("POST",))
def audit_checkpoint(request: HttpRequest, actor: Actor) -> HttpResponse:
    """Sign the agency's chain now. The service refuses (and records why) when it does not verify
    from the last signed checkpoint, or when there is nothing new to sign."""
    try:
        checkpoint = checkpoint_request(actor=actor)
    except Conflict as refusal:
        return redirect(f"/app/audit/verify/?refused={refusal.code}")
    return redirect(f"/app/audit/verify/?signed={checkpoint.seq}")


@screen(COMPLIANCE, methods=("POST",))
def audit_export(request: HttpRequest, actor: Actor) -> HttpResponse:
    export = audit_export_create(actor=actor)
    response = HttpResponse(export.body, content_type="application/x-ndjson")
    response["Content-Disposition"] = f'attachment; filename="{export.filename}"'
    return response


@screen(COMPLIANCE)
def audit_public_key(request: HttpRequest, actor: Actor) -> HttpResponse:
    """The export signing key (public), to verify an export offline."""
    from audit import signing

    audit_agency_of(actor)
    response = HttpResponse(signing.public_key_b64() + "\n", content_type="text/plain")
    response["Content-Disposition"] = 'attachment; filename="audit-public-key.txt"'
    return response
