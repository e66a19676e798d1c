"""The person's own account: password, sessions, the authenticator app and recovery codes.

Every step is an `accounts` service (the API's own): `users.user_password_change`,
`sessions.session_revoke`, `mfa.totp_enrol_start` / `totp_replace_start` / `totp_confirm`,
`mfa.recovery_codes_regenerate`, each re-authenticating the person as the service requires.
"""

from __future__ import annotations

import uuid
from typing import Any

from django import forms
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from accounts import mfa, sessions, users
from accounts.factors import pending_secret_of, recovery_codes_remaining
from accounts.selectors import session_get, sessions_live, user_of
from accounts.totp import provisioning_uri
from console.access import EVERYONE, screen
from console.forms import CodeForm, add_refusal
from console.middleware import FAMILY
from console.qr import qr_svg
from core.actor import Actor
from core.errors import ApplicationError, Conflict, TooManyRequests, ValidationFailed

WRONG = "That is not right. Check it and try again."
THROTTLED = "Too many tries. Wait a few minutes, then try again."
SECRET_FIELD = {"autocomplete": "off", "spellcheck": "false"}


def _ip(request: HttpRequest) -> str:
    return str(request.META.get("REMOTE_ADDR", ""))[:64]


def _current(request: HttpRequest) -> str:
    return str(request.session.get(FAMILY, ""))


class PasswordChangeForm(forms.Form):
    current = forms.CharField(
        max_length=256,
        strip=False,
        label="Your password now",
        error_messages={"required": "Type the password you have now."},
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )
    new = forms.CharField(
        max_length=256,
        strip=False,
        label="Your new password",
        error_messages={"required": "Type your new password."},
        help_text="At least 12 characters. Not a common password.",
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )


class ProveForm(forms.Form):
    """Who changes the authenticator proves it is them: the password, and the current app's
    code (or a recovery code) when an app is already set up."""

    password = forms.CharField(
        max_length=256,
        strip=False,
        label="Your password",
        error_messages={"required": "Type your password."},
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )
    otp = forms.CharField(
        max_length=10,
        required=False,
        label="Code from the app you use now",
        help_text="6 digits. It changes every 30 seconds.",
        widget=forms.TextInput(
            attrs={"inputmode": "numeric", "autocomplete": "one-time-code", **SECRET_FIELD}
        ),
    )
    recovery_code = forms.CharField(
        max_length=40,
        required=False,
        label="Or a recovery code",
        help_text="Only if you no longer have the app. Each code works once.",
        widget=forms.TextInput(attrs=SECRET_FIELD),
    )


def _sessions(request: HttpRequest, user: Any) -> list[dict[str, Any]]:
    current = _current(request)
    return [
        {
            "id": family.pk,
            "current": str(family.pk) == current,
            "started": family.created_at,
            "last_used": getattr(family, "last_used_at", None),  # annotated by sessions_live
            "ip": family.ip,
            "device": family.user_agent or "Not known",
        }
        for family in sessions_live(user)
    ]


def _account_page(request: HttpRequest, actor: Actor, **extra: Any) -> HttpResponse:
    user = user_of(actor)
    status = extra.pop("status", 200)
    context = {
        "mfa_enabled": user.mfa_enabled,
        "codes_left": recovery_codes_remaining(user) if user.mfa_enabled else 0,
        "sessions": _sessions(request, user),
        "messages_banner": _banner(request.GET.get("done", "")),
        "codes_form": extra.pop("codes_form", None) or CodeForm(auto_id="codes-%s"),
        **extra,
    }
    return render(request, "console/account/account.html", context, status=status)


BANNERS = {
    "password": "Your password was changed. Your other sessions were signed out.",
    "session": "That session was signed out.",
}


def _banner(done: str) -> str:
    return BANNERS.get(done, "")


@screen(EVERYONE)
def account(request: HttpRequest, actor: Actor) -> HttpResponse:
    return _account_page(request, actor)


@screen(EVERYONE, methods=("GET", "POST"))
def password_change(request: HttpRequest, actor: Actor) -> HttpResponse:
    form = PasswordChangeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        user = user_of(actor)
        current = _current(request)
        keep = sessions_live(user).filter(pk=current).first() if current else None
        try:
            users.user_password_change(
                actor=actor,
                user=user,
                current=form.cleaned_data["current"],
                new=form.cleaned_data["new"],
                ip=_ip(request),
                keep=keep,
            )
        except TooManyRequests:
            form.add_error(None, THROTTLED)
        except ValidationFailed as refusal:
            add_refusal(form, refusal, {"new_password": "new"})
        except ApplicationError:  # the current password is wrong (re-authentication)
            form.add_error("current", WRONG)
        else:
            return redirect("/app/account/?done=password")
    status = 400 if form.errors else 200
    return render(request, "console/account/password.html", {"form": form}, status=status)


@screen(EVERYONE, methods=("POST",))
def session_end(request: HttpRequest, actor: Actor, family_id: uuid.UUID) -> HttpResponse:
    """Sign one of your own sessions out (this one: you are signed out here too)."""
    user = user_of(actor)
    family = session_get(user=user, family_id=family_id)  # only your own: else 404
    sessions.session_revoke(actor=actor, user=user, family=family)
    if str(family.pk) == _current(request):
        request.session.flush()
        return redirect("/app/?signed_out=1")
    return redirect("/app/account/?done=session#sessions")


def _qr_context(user: Any) -> dict[str, Any]:
    secret = pending_secret_of(user) or ""
    uri = provisioning_uri(secret, user.username) if secret else ""
    return {"secret": secret, "qr": qr_svg(uri) if uri else ""}


@screen(EVERYONE, methods=("GET", "POST"))
def authenticator(request: HttpRequest, actor: Actor) -> HttpResponse:
    """Set up (or replace) the authenticator app: prove it is you, scan, type the code."""
    user = user_of(actor)
    step = request.POST.get("step", "")
    context: dict[str, Any] = {"replacing": user.mfa_enabled}
    if request.method == "POST" and step == "confirm":
        form = CodeForm(request.POST)
        if form.is_valid():
            try:
                done = mfa.totp_confirm(actor=actor, user=user, code=form.cleaned_data["code"])
            except ValidationFailed as refusal:
                add_refusal(form, refusal, {"code": "code"})
            else:
                codes = {"codes": done.recovery_codes, "next": "/app/account/"}
                return render(request, "console/recovery_codes.html", codes)
        context.update(form=form, **_qr_context(user))
        return render(request, "console/account/authenticator_scan.html", context, status=400)
    prove = ProveForm(request.POST or None)
    if request.method == "POST" and prove.is_valid():
        data = prove.cleaned_data
        try:
            if user.mfa_enabled:
                mfa.totp_replace_start(
                    actor=actor,
                    user=user,
                    password=data["password"],
                    otp=data["otp"] or None,
                    recovery_code=data["recovery_code"] or None,
                    ip=_ip(request),
                )
            else:
                mfa.totp_enrol_start(
                    actor=actor, user=user, password=data["password"], ip=_ip(request)
                )
        except TooManyRequests:
            prove.add_error(None, THROTTLED)
        except Conflict as refusal:
            prove.add_error(None, refusal.detail)
        except ApplicationError:
            prove.add_error(None, WRONG)
        else:
            user.refresh_from_db()
            context.update(form=CodeForm(), **_qr_context(user))
            return render(request, "console/account/authenticator_scan.html", context)
    context["form"] = prove
    status = 400 if prove.errors else 200
    return render(request, "console/account/authenticator.html", context, status=status)


@screen(EVERYONE, methods=("POST",))
def recovery_codes(request: HttpRequest, actor: Actor) -> HttpResponse:
    """Ten new recovery codes for a current code from the app; the old ones stop working."""
    form = CodeForm(request.POST, auto_id="codes-%s")
    if form.is_valid():
        try:
            codes = mfa.recovery_codes_regenerate(
                actor=actor, user=user_of(actor), otp=form.cleaned_data["code"], ip=_ip(request)
            )
        except TooManyRequests:
            form.add_error("code", THROTTLED)
        except ApplicationError:
            form.add_error("code", WRONG)
        else:
            context = {"codes": codes, "next": "/app/account/"}
            return render(request, "console/recovery_codes.html", context)
    return _account_page(request, actor, codes_form=form, status=400)
