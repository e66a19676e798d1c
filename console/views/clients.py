"""Client records: list, find (POST), add with a duplicate check first, view, edit, erase."""

from __future__ import annotations

import uuid
from typing import Any

from django.conf import settings
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from clients import reads, services
from clients.categories import ALL_CATEGORIES
from clients.selectors import WRITE, client_get_for, client_qs_for
from consent.policy import consent_shown_status
from consent.selectors import consent_qs_for_client
from console.access import CASE, SUPERVISOR, screen
from console.client_forms import NewClientForm, category_form, payload_of
from console.forms import add_refusal
from console.present import (
    CATEGORY_WORDS,
    CONSENT_STATUS_WORDS,
    FIELD_WORDS,
    categories_text,
    display_name,
    short_ref,
    status_tag,
)
from core.actor import Actor
from core.errors import Conflict, ValidationFailed
from referrals.selectors import OUTBOX, referral_list_for


@screen(CASE)
def client_list(request: HttpRequest, actor: Actor) -> HttpResponse:
    rows = client_qs_for(actor).order_by("-created_at", "-id")
    page = Paginator(rows, settings.CONSOLE_PAGE_SIZE).get_page(request.GET.get("page"))
    clients = list(page.object_list)
    identities = reads.client_identities(actor=actor, clients=clients)
    items = [
        {
            "id": c.pk,
            "name": display_name(identities.get(c.pk)),
            "born": (identities.get(c.pk) or {}).get("date_of_birth"),
            "erased": c.erased_at is not None,
        }
        for c in clients
    ]
    return render(request, "console/clients/list.html", {"items": items, "page": page, "query": {}})


def _matches(actor: Actor, form: NewClientForm) -> list[dict[str, Any]]:
    """Existing records of the same person (`clients.reads.client_search`): by names and date of
    birth, or by the names alone when the date of birth is not known."""
    data = form.cleaned_data
    found = reads.client_search(
        actor=actor,
        given_name=data["given_name"],
        family_name=data["family_name"],
        date_of_birth=data.get("date_of_birth") or None,
    )
    return [{"id": c.pk, "name": display_name(i), "born": i.get("date_of_birth")} for c, i in found]


@screen(CASE, methods=("POST",))
def client_duplicates(request: HttpRequest, actor: Actor) -> HttpResponse:
    """The duplicate check (htmx partial): the terms travel in the POST body, never the URL."""
    form = NewClientForm(request.POST)
    matches = _matches(actor, form) if form.is_valid() else None
    context = {
        "form": form,
        "matches": matches,
        "checked": form.is_valid(),
        "by_name": form.is_valid() and not form.cleaned_data.get("date_of_birth"),
    }
    return render(request, "console/clients/_duplicates.html", context)


@screen(CASE, methods=("GET", "POST"))
def client_new(request: HttpRequest, actor: Actor) -> HttpResponse:
    form = NewClientForm(request.POST or None)
    context: dict[str, Any] = {"form": form, "matches": None, "checked": False}
    if request.method == "POST" and form.is_valid():
        matches = _matches(actor, form)
        context.update(
            matches=matches, checked=True, by_name=not form.cleaned_data.get("date_of_birth")
        )
        confirmed = form.cleaned_data["not_a_duplicate"]
        if request.POST.get("action") == "save" and (not matches or confirmed):
            try:
                client = services.client_create(actor=actor, data=form.payload())
            except ValidationFailed as refusal:
                add_refusal(
                    form, refusal, {"given_name": "given_name", "family_name": "family_name"}
                )
            else:
                return redirect(f"/app/clients/{client.pk}/?added=1")
        elif request.POST.get("action") == "save":
            form.add_error(
                "not_a_duplicate",
                "This may be a person you already have. Open their record, "
                "or confirm that none of them is this person.",
            )
    status = 400 if form.errors else 200
    return render(request, "console/clients/new.html", context, status=status)


def _sections(fields: dict[str, dict[str, Any]]) -> list[dict[str, Any]]:
    return [
        {
            "category": category,
            "label": CATEGORY_WORDS.get(category, category).capitalize(),
            "rows": [(FIELD_WORDS.get(k, k), v) for k, v in (fields.get(category) or {}).items()],
        }
        for category in ALL_CATEGORIES
        if category in fields
    ]


def _consents(client: Any) -> list[dict[str, Any]]:
    return [
        {
            "id": c.pk,
            "ref": short_ref(c.pk),
            "recipient": c.recipient_agency.name,
            "what": categories_text(c.categories),
            "status": consent_shown_status(c),
            "status_words": CONSENT_STATUS_WORDS.get(consent_shown_status(c), ""),
            "expires_at": c.expires_at,
        }
        for c in consent_qs_for_client(client=client).order_by("-created_at", "-id")
    ]


def _referrals(actor: Actor, client: Any) -> list[dict[str, Any]]:
    sent = referral_list_for(actor, box=OUTBOX).filter(client_id=client.pk).order_by("-created_at")
    return [
        {
            "id": r.pk,
            "ref": short_ref(r.pk),
            "to": r.recipient_agency.name,
            "status": status_tag(r.status),
        }
        for r in sent
    ]


def _banner(request: HttpRequest) -> str:
    if request.GET.get("withdrawn"):
        return "The consent was withdrawn. Nothing more is shared under it."
    return "The client's record was saved." if request.GET.get("added") else ""


@screen(CASE)
def client_detail(request: HttpRequest, actor: Actor, client_id: uuid.UUID) -> HttpResponse:
    client = client_get_for(actor=actor, client_id=client_id)
    fields = reads.client_read(actor=actor, client=client)
    context = {
        "client": client,
        "name": display_name(fields.get("identity")),
        "ref": short_ref(client.pk),
        "sections": _sections(fields),
        "consents": _consents(client),
        "referrals": _referrals(actor, client),
        "messages_banner": _banner(request),
        "may_erase": actor.has_role(*SUPERVISOR),
    }
    return render(request, "console/clients/detail.html", context)


@screen(CASE, methods=("GET", "POST"))
def client_edit(
    request: HttpRequest, actor: Actor, client_id: uuid.UUID, category: str
) -> HttpResponse:
    if category not in ALL_CATEGORIES:
        return render(request, "console/errors/404.html", status=404)
    client = client_get_for(actor=actor, client_id=client_id, need=WRITE)
    if request.method == "POST":
        form = category_form(category, data=request.POST)
        if form.is_valid():
            try:
                services.client_update(
                    actor=actor, client=client, data={category: payload_of(form)}
                )
            except (ValidationFailed, Conflict) as refusal:
                add_refusal(form, refusal, {k: k for k in form.fields})
            else:
                return redirect(f"/app/clients/{client.pk}/#{category}")
    else:
        current = reads.client_read(actor=actor, client=client).get(category) or {}
        form = category_form(category, initial=current)
    context = {
        "form": form,
        "client": client,
        "label": CATEGORY_WORDS[category],
        "category": category,
    }
    return render(request, "console/clients/edit.html", context, status=400 if form.errors else 200)


@screen(SUPERVISOR, methods=("GET", "POST"))
def client_erase(request: HttpRequest, actor: Actor, client_id: uuid.UUID) -> HttpResponse:
    client = client_get_for(actor=actor, client_id=client_id, need=WRITE)
    error = ""
    if request.method == "POST":
        if request.POST.get("confirm") == "erase":
            services.client_erase(actor=actor, client=client)
            return redirect(f"/app/clients/{client.pk}/")
        error = "Tick the box to confirm that you understand this cannot be undone."
    context = {"client": client, "ref": short_ref(client.pk), "error": error}
    return render(request, "console/clients/erase.html", context, status=400 if error else 200)
