"""One referral: what you may see of it, its timeline, next steps, messages and assignment."""

from __future__ import annotations

import uuid
from typing import Any

from django import forms
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone

from accounts.staff import case_staff_for
from clients.categories import ALL_CATEGORIES
from consent.policy import consent_categories, consent_shown_status_q
from consent.purposes import purpose_fits
from consent.selectors import consent_qs_for_client
from console.access import CASE, SUPERVISOR, screen
from console.forms import add_refusal
from console.present import (
    BASIS_WORDS,
    FIELD_WORDS,
    MOVE_WORDS,
    PRIORITY_WORDS,
    STATUS_WORDS,
    categories_text,
    overdue,
    short_ref,
    status_tag,
)
from console.sharing import sharing_sentence
from core.actor import Actor
from core.errors import Conflict, ValidationFailed
from referrals import services
from referrals.attach import referral_consent_attach
from referrals.models import Referral, ReferralStatus
from referrals.reads import (
    ReferralView,
    referral_history_read,
    referral_messages_read,
    referral_read,
)
from referrals.selectors import (
    may_change,
    referral_get_for,
    referral_messages,
    thread_last_read,
)
from referrals.states import REASON_REQUIRED, RECIPIENT, SENDER, TERMINAL, allowed_moves

THREAD_SIZE = 50


class MoveForm(forms.Form):
    to = forms.ChoiceField(choices=ReferralStatus.choices)
    reason = forms.CharField(max_length=4000, required=False, strip=False, label="Reason")
    version = forms.IntegerField(min_value=1)


class MessageForm(forms.Form):
    body = forms.CharField(max_length=8000, label="Message", widget=forms.Textarea)


class AttachForm(forms.Form):
    consent = forms.UUIDField(label="Consent to use from now on")
    version = forms.IntegerField(min_value=1)


# The attach refusals (`referrals.attach`), in plain words.
ATTACH_WORDS = {
    "consent_required": "That consent is not in effect, or it is not for this agency. "
    "Choose another, or record a new one.",
    "purpose_mismatch": "That consent is for another kind of help than this service. "
    "Choose another, or record a new one.",
    "referral_closed": "This referral is closed. A consent can no longer be added to it.",
    "stale_version": "Someone changed this referral while you were looking at it. "
    "Look again, then try again.",
}


class AssignForm(forms.Form):
    assignee = forms.UUIDField(label="Assign to")
    version = forms.IntegerField(min_value=1)


def _fields(view: ReferralView) -> list[dict[str, Any]]:
    from console.present import CATEGORY_WORDS

    return [
        {
            "label": CATEGORY_WORDS.get(category, category).capitalize(),
            "rows": [(FIELD_WORDS.get(k, k), v) for k, v in values.items() if v not in (None, "")],
        }
        for category, values in view.client.items()
    ]


def _moves(referral: Referral, party: str) -> list[dict[str, Any]]:
    return [
        {"to": to, "label": MOVE_WORDS.get(to, to), "needs_reason": to in REASON_REQUIRED}
        for to in allowed_moves(source=referral.status, party=party)
    ]


def _thread(actor: Actor, referral: Referral) -> list[dict[str, Any]]:
    """The newest messages through `referrals.reads` (audited; a `disclosure` for a recipient
    shown the sender's), each marked new if the agency had not read it before this visit."""
    newest = list(referral_messages(referral=referral).order_by("-created_at", "-id")[:THREAD_SIZE])
    seen = thread_last_read(actor=actor, referral=referral)  # before the read marks it
    shown = referral_messages_read(actor=actor, referral=referral, messages=newest)
    return [
        {
            "ours": m.message.agency_id == actor.agency_id,
            "new": m.message.agency_id != actor.agency_id
            and (seen is None or m.message.created_at > seen),
            "agency": m.message.agency.name,
            "author": m.message.author_user.username if m.message.author_user else "partner system",
            "at": m.message.created_at,
            "body": m.body,
            "withheld": BASIS_WORDS.get(m.withheld_basis, ""),
        }
        for m in reversed(shown)
    ]


def _assignable(actor: Actor, referral: Referral, party: str) -> list[tuple[str, str]] | None:
    if party != RECIPIENT or not actor.has_role(*SUPERVISOR) or referral.status in TERMINAL:
        return None
    return [(str(u.pk), u.username) for u in case_staff_for(actor=actor)]


def _attachable(actor: Actor, referral: Referral, party: str) -> list[dict[str, Any]] | None:
    """For the sender: the client's consents in effect for this recipient that fit the service
    (the attach service checks again and has the last word)."""
    if party != SENDER or referral.status in TERMINAL or not may_change(actor):
        return None
    rows = (
        consent_qs_for_client(client=referral.client)
        .filter(consent_shown_status_q("active", timezone.now()))
        .filter(recipient_agency_id=referral.recipient_agency_id)
        .exclude(pk=referral.consent_id)
        .order_by("-created_at", "-id")
    )
    return [
        {
            "id": str(c.pk),
            "label": f"Consent C-{short_ref(c.pk)}: "
            f"{categories_text(sorted(consent_categories(c), key=ALL_CATEGORIES.index))}, "
            f"until {c.expires_at:%-d %B %Y}",
        }
        for c in rows
        if purpose_fits(purpose=c.purpose, service_type=referral.service_type)
    ]


def _timeline(actor: Actor, referral: Referral) -> list[dict[str, Any]]:
    """Every status change through `referrals.reads.referral_history_read` (audited as the
    API's history: a recipient shown one of the sender's reasons is a `disclosure`), with each
    reason the reader may see."""
    return [
        {
            "words": STATUS_WORDS.get(e.transition.to_status, (e.transition.to_status, ""))[0],
            "agency": e.transition.actor_agency.name if e.transition.actor_agency else "The system",
            "who": e.transition.actor_user.username if e.transition.actor_user else "",
            "at": e.transition.created_at,
            "reason": e.reason or "",
        }
        for e in referral_history_read(actor=actor, referral=referral)
    ]


def _context(actor: Actor, referral: Referral) -> dict[str, Any]:
    view = referral_read(actor=actor, referral=referral)
    return {
        "referral": referral,
        "ref": short_ref(referral.id),
        "party": view.party,
        "status": status_tag(referral.status),
        "priority": PRIORITY_WORDS.get(referral.priority, referral.priority),
        "overdue": overdue(referral.response_deadline, referral.status),
        "reason": view.reason,
        "status_reason": view.status_reason,
        "client_sections": _fields(view),
        "sharing": sharing_sentence(actor=actor, referral=referral, view=view),
        "timeline": _timeline(actor, referral),
        "moves": _moves(referral, view.party),
        "thread": _thread(actor, referral),
        "assignable": _assignable(actor, referral, view.party),
        "attachable": _attachable(actor, referral, view.party),
        "message_form": MessageForm(),
    }


def _page(request: HttpRequest, actor: Actor, referral: Referral, **extra: Any) -> HttpResponse:
    status = extra.pop("status", 200)
    context = {**_context(actor, referral), **extra}
    return render(request, "console/referrals/detail.html", context, status=status)


@screen(CASE)
def referral_detail(request: HttpRequest, actor: Actor, referral_id: uuid.UUID) -> HttpResponse:
    referral = referral_get_for(actor=actor, referral_id=referral_id)
    done = request.GET.get("done", "")
    banner = f"Done: {STATUS_WORDS[done][0].lower()}." if done in STATUS_WORDS else ""
    if request.GET.get("attached") == "1":
        banner = "Done: the referral now follows the newer consent. The other agency was told."
    return _page(request, actor, referral, messages_banner=banner)


@screen(CASE, methods=("POST",))
def referral_move(request: HttpRequest, actor: Actor, referral_id: uuid.UUID) -> HttpResponse:
    referral = referral_get_for(actor=actor, referral_id=referral_id, write=True)
    form = MoveForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            services.referral_transition(
                actor=actor,
                referral=referral,
                to=data["to"],
                reason=data["reason"],
                expected_version=data["version"],
            )
        except (ValidationFailed, Conflict) as refusal:
            add_refusal(form, refusal, {"reason": "reason"})
        else:
            return redirect(f"/app/referrals/{referral.id}/?done={data['to']}")
    referral = referral_get_for(actor=actor, referral_id=referral_id)
    return _page(request, actor, referral, form=form, status=400)


@screen(CASE, methods=("POST",))
def referral_message(request: HttpRequest, actor: Actor, referral_id: uuid.UUID) -> HttpResponse:
    referral = referral_get_for(actor=actor, referral_id=referral_id, write=True)
    form = MessageForm(request.POST)
    if form.is_valid():
        try:
            services.referral_message_add(
                actor=actor, referral=referral, body=form.cleaned_data["body"]
            )
        except Conflict as refusal:
            add_refusal(form, refusal, {"body": "body"})
        else:
            form = MessageForm()
            if not request.htmx:  # type: ignore[attr-defined]
                return redirect(f"/app/referrals/{referral.id}/#messages")
    if request.htmx:  # type: ignore[attr-defined]
        context = {"thread": _thread(actor, referral), "message_form": form, "referral": referral}
        return render(request, "console/referrals/_messages.html", context)
    return _page(request, actor, referral, message_form=form, status=400)


@screen(SUPERVISOR, methods=("POST",))
def referral_assign(request: HttpRequest, actor: Actor, referral_id: uuid.UUID) -> HttpResponse:
    referral = referral_get_for(actor=actor, referral_id=referral_id)
    form = AssignForm(request.POST)
    if form.is_valid():
        try:
            services.referral_assign(
                actor=actor,
                referral=referral,
                assignee_id=form.cleaned_data["assignee"],
                expected_version=form.cleaned_data["version"],
            )
        except (ValidationFailed, Conflict) as refusal:
            add_refusal(form, refusal, {"assignee_id": "assignee"})
        else:
            return redirect(f"/app/referrals/{referral.id}/?assigned=1")
    return _page(request, actor, referral, form=form, status=400)


@screen(CASE, methods=("POST",))
def referral_attach(request: HttpRequest, actor: Actor, referral_id: uuid.UUID) -> HttpResponse:
    """The sender puts the referral under a newer consent (`referrals.attach`)."""
    referral = referral_get_for(actor=actor, referral_id=referral_id, write=True)
    form = AttachForm(request.POST)
    if form.is_valid():
        try:
            referral_consent_attach(
                actor=actor,
                referral=referral,
                consent_id=form.cleaned_data["consent"],
                expected_version=form.cleaned_data["version"],
            )
        except Conflict as refusal:
            form.add_error("consent", ATTACH_WORDS.get(refusal.code, refusal.detail))
        else:
            return redirect(f"/app/referrals/{referral.id}/?attached=1#sharing")
    referral = referral_get_for(actor=actor, referral_id=referral_id)
    return _page(request, actor, referral, attach_form=form, status=400)
