"""Agency admin screens: staff (invite, deactivate, role, reset password, reset MFA), partner
integrations (create, rotate, revoke), webhook subscriptions and their deliveries.

Over the accounts and webhooks services and selectors the staff API uses; other agencies'
people and systems are a 404 (`accounts.selectors.user_get_for`, `integration_get_for`).
"""

from __future__ import annotations

import uuid
from typing import Any

from django import forms
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from accounts import integrations as integration_services
from accounts import mfa, users
from accounts.selectors import (
    agency_of,
    integration_get_for,
    integration_qs_for,
    user_get_for,
    user_qs_for,
)
from console.access import ADMIN, screen
from console.forms import add_refusal
from core.actor import Actor
from core.errors import Conflict, ValidationFailed
from core.roles import ALL_SCOPES, Role
from webhooks.selectors import delivery_qs_for, subscription_qs_for


class InviteForm(forms.Form):
    username = forms.CharField(max_length=150, label="Username")
    role = forms.ChoiceField(label="Role", choices=Role.choices)


class IntegrationForm(forms.Form):
    name = forms.CharField(max_length=120, label="Name of the partner system")
    scopes = forms.MultipleChoiceField(
        label="What it may do",
        choices=[(s, s) for s in sorted(ALL_SCOPES)],
        widget=forms.CheckboxSelectMultiple,
    )


def _people(actor: Actor) -> list[dict[str, Any]]:
    return [
        {
            "id": u.pk,
            "username": u.username,
            "role": u.role,
            "role_label": Role(u.role).label if u.role else "",
            "active": u.is_active,
            "mfa": u.mfa_enabled,
            "me": u.pk == actor.user_id,
        }
        for u in user_qs_for(actor).order_by("username")
    ]


def _staff_page(request: HttpRequest, actor: Actor, form: InviteForm, **extra: Any) -> HttpResponse:
    context = {"form": form, "people": _people(actor), "roles": Role.choices, **extra}
    return render(request, "console/admin/staff.html", context, status=400 if form.errors else 200)


@screen(ADMIN, methods=("GET", "POST"))
def staff(request: HttpRequest, actor: Actor) -> HttpResponse:
    form = InviteForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            link = users.user_invite(actor=actor, **form.cleaned_data)
        except ValidationFailed as refusal:
            add_refusal(form, refusal, {"username": "username", "role": "role"})
        else:
            return _staff_page(request, actor, InviteForm(), link=link, what="invited")
    return _staff_page(request, actor, form)


ACTIONS = ("deactivate", "reactivate", "role", "reset_password", "reset_mfa")


@screen(ADMIN, methods=("POST",))
def staff_change(request: HttpRequest, actor: Actor, user_id: uuid.UUID) -> HttpResponse:
    person = user_get_for(actor=actor, user_id=user_id)
    action = request.POST.get("action", "")
    link = None
    try:
        if action in ("deactivate", "reactivate"):
            users.user_set_active(actor=actor, user=person, active=action == "reactivate")
        elif action == "role":
            users.user_role_change(actor=actor, user=person, role=request.POST.get("role", ""))
        elif action == "reset_password":
            link = users.user_password_reset(actor=actor, user=person)
        elif action == "reset_mfa":
            mfa.mfa_reset(actor=actor, user=person)
    except (ValidationFailed, Conflict) as refusal:
        return _staff_page(request, actor, InviteForm(), refused=refusal.detail)
    if link is not None:
        return _staff_page(request, actor, InviteForm(), link=link, what="reset")
    return redirect("/app/admin/users/")


@screen(ADMIN, methods=("GET", "POST"))
def integrations(request: HttpRequest, actor: Actor) -> HttpResponse:
    form = IntegrationForm(request.POST or None)
    shown_once = None
    if request.method == "POST" and form.is_valid():
        made, secret = integration_services.integration_create(
            actor=actor, agency=agency_of(actor), **form.cleaned_data
        )
        shown_once = {"name": made.name, "client_id": made.client_id, "secret": secret}
        form = IntegrationForm()
    items = list(integration_qs_for(actor).order_by("-created_at"))
    context = {"form": form, "items": items, "shown_once": shown_once}
    return render(request, "console/admin/integrations.html", context)


@screen(ADMIN, methods=("POST",))
def integration_change(
    request: HttpRequest, actor: Actor, integration_id: uuid.UUID
) -> HttpResponse:
    integration = integration_get_for(actor=actor, integration_id=integration_id)
    if request.POST.get("action") == "rotate":
        made, secret = integration_services.integration_rotate_secret(
            actor=actor, integration=integration
        )
        shown_once = {"name": made.name, "client_id": made.client_id, "secret": secret}
        items = list(integration_qs_for(actor).order_by("-created_at"))
        context = {"form": IntegrationForm(), "items": items, "shown_once": shown_once}
        return render(request, "console/admin/integrations.html", context)
    if request.POST.get("action") == "revoke":  # only when asked: no default action
        integration_services.integration_revoke(actor=actor, integration=integration)
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
