"""Agency admin screens: staff, partner integrations, webhook subscriptions and deliveries.

Over the accounts and webhooks services as they are today (the accounts issue's invite links,
role changes and MFA resets replace "add a person" when they land). The admin is checked by
`accounts.staff.staff_admin_agency` and by the webhooks services themselves.
"""

from __future__ import annotations

import secrets
import uuid

from django import forms
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from accounts.services import (
    integration_create,
    integration_set_active,
    user_create,
    user_set_active,
)
from accounts.staff import (
    integration_get_for,
    integrations_for,
    staff_admin_agency,
    staff_for,
    staff_member_get_for,
)
from agencies.selectors import agency_get
from console.access import ADMIN, screen
from console.forms import add_refusal
from core.actor import Actor
from core.errors import ValidationFailed
from core.roles import ALL_SCOPES, Role
from webhooks.selectors import delivery_qs_for, subscription_qs_for


class PersonForm(forms.Form):
    username = forms.CharField(max_length=150, label="Username")
    role = forms.ChoiceField(label="Role", choices=Role.choices)


class IntegrationForm(forms.Form):
    name = forms.CharField(max_length=120, label="Name of the partner system")
    scopes = forms.MultipleChoiceField(
        label="What it may do",
        choices=[(s, s) for s in sorted(ALL_SCOPES)],
        widget=forms.CheckboxSelectMultiple,
    )


@screen(ADMIN, methods=("GET", "POST"))
def staff(request: HttpRequest, actor: Actor) -> HttpResponse:
    form = PersonForm(request.POST or None)
    shown_once = None
    if request.method == "POST" and form.is_valid():
        agency = agency_get(agency_id=staff_admin_agency(actor), with_programs=False)
        password = secrets.token_urlsafe(12)  # shown once; the person changes it
        try:
            user_create(actor=actor, agency=agency, password=password, **form.cleaned_data)
        except ValidationFailed as refusal:
            add_refusal(form, refusal, {"username": "username", "role": "role"})
        else:
            shown_once = {"username": form.cleaned_data["username"], "password": password}
            form = PersonForm()
    people = [
        {
            "id": u.pk,
            "username": u.username,
            "role": Role(u.role).label if u.role else "",
            "active": u.is_active,
            "mfa": u.mfa_enabled,
            "me": u.pk == actor.user_id,
        }
        for u in staff_for(actor=actor)
    ]
    context = {"form": form, "people": people, "shown_once": shown_once}
    return render(request, "console/admin/staff.html", context, status=400 if form.errors else 200)


@screen(ADMIN, methods=("POST",))
def staff_active(request: HttpRequest, actor: Actor, user_id: uuid.UUID) -> HttpResponse:
    person = staff_member_get_for(actor=actor, user_id=user_id)
    if person.pk != actor.user_id:  # an admin cannot lock themselves out
        user_set_active(actor=actor, user=person, active=request.POST.get("active") == "1")
    return redirect("/app/admin/users/")


@screen(ADMIN, methods=("GET", "POST"))
def integrations(request: HttpRequest, actor: Actor) -> HttpResponse:
    form = IntegrationForm(request.POST or None)
    shown_once = None
    if request.method == "POST" and form.is_valid():
        agency = agency_get(agency_id=staff_admin_agency(actor), with_programs=False)
        made, secret = integration_create(actor=actor, agency=agency, **form.cleaned_data)
        shown_once = {"name": made.name, "client_id": made.client_id, "secret": secret}
        form = IntegrationForm()
    context = {"form": form, "items": list(integrations_for(actor=actor)), "shown_once": shown_once}
    return render(request, "console/admin/integrations.html", context)


@screen(ADMIN, methods=("POST",))
def integration_active(
    request: HttpRequest, actor: Actor, integration_id: uuid.UUID
) -> HttpResponse:
    integration = integration_get_for(actor=actor, integration_id=integration_id)
    integration_set_active(
        actor=actor, integration=integration, active=request.POST.get("active") == "1"
    )
    return redirect("/app/admin/integrations/")


@screen(ADMIN)
def webhooks(request: HttpRequest, actor: Actor) -> HttpResponse:
    items = [
        {
            "subscription": s,
            "deliveries": list(
                delivery_qs_for(actor=actor, subscription=s).order_by("-created_at")[:10]
            ),
        }
        for s in subscription_qs_for(actor=actor).order_by("-created_at")
    ]
    return render(request, "console/admin/webhooks.html", {"items": items})
