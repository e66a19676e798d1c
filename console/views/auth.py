"""Sign-in (password and, once set up, the app's code or a recovery code), the MFA enrolment
step at first sign-in, choosing a password from an invitation, sign-out, the idle keep-alive."""

from __future__ import annotations

import time
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from accounts import mfa, signin, users
from accounts.browser import (
    browser_session_end,
    browser_session_start,
    enrolment_user,
    sign_out_everywhere,
)
from accounts.factors import pending_secret_of
from accounts.models import User
from accounts.selectors import actor_for_user
from accounts.totp import provisioning_uri
from api.tokens import password_mark
from console.access import EVERYONE, public, screen
from console.forms import CodeForm, PasswordSetForm, SignInForm, add_refusal
from console.middleware import FAMILY, SEEN, USER
from console.nav import home_for
from console.qr import qr_svg
from core.actor import Actor
from core.errors import AuthenticationFailed, TooManyRequests, ValidationFailed

ENROL = "console_enrol"  # {"user", "at", "mark"}: password checked, MFA still to set up
WRONG = "The username, password or code is not right. Check them and try again."
THROTTLED = "Too many failed sign-ins from here. Wait a few minutes, then try again."


def _ip(request: HttpRequest) -> str:
    return str(request.META.get("REMOTE_ADDR", ""))[:64]


def _start(request: HttpRequest, user: User, auth_method: str) -> HttpResponse:
    request.session.cycle_key()  # a new session id at sign-in: no session fixation
    request.session.pop(ENROL, None)
    family = browser_session_start(user=user, auth_method=auth_method)
    request.session[USER] = str(user.pk)
    request.session[FAMILY] = str(family.id)
    request.session[SEEN] = time.time()
    return redirect(home_for(actor_for_user(user, auth_method="session")))


def sign_in_page(request: HttpRequest, form: SignInForm | None = None, status: int = 200):  # type: ignore[no-untyped-def]
    context = {
        "form": form or SignInForm(),
        "timed_out": request.GET.get("timeout") == "1",
        "signed_out": request.GET.get("signed_out") == "1",
        "password_set": request.GET.get("password_set") == "1",
    }
    return render(request, "console/sign_in.html", context, status=status)


@public(methods=("POST",))
def sign_in(request: HttpRequest) -> HttpResponse:
    form = SignInForm(request.POST)
    if not form.is_valid():
        return sign_in_page(request, form, status=400)
    data = form.cleaned_data
    try:
        result = signin.login_authenticate(
            username=data["username"],
            password=data["password"],
            ip=_ip(request),
            otp=data["otp"] or None,
            recovery_code=data["recovery_code"] or None,
        )
    except AuthenticationFailed:
        form.add_error(None, WRONG)
        return sign_in_page(request, form, status=401)
    except TooManyRequests:
        form.add_error(None, THROTTLED)
        return sign_in_page(request, form, status=429)
    if not result.complete:  # the role needs MFA and none is set up: enrol now, nothing else
        request.session.cycle_key()
        request.session[ENROL] = {
            "user": str(result.user.pk),
            "at": time.time(),
            "mark": password_mark(result.user),
        }
        return redirect("/app/sign-in/set-up")
    return _start(request, result.user, result.auth_method)


def _scan(user: User) -> dict[str, Any]:
    """The pending seed as a QR code and as a key to type (`console.qr`)."""
    secret = pending_secret_of(user) or ""
    qr = qr_svg(provisioning_uri(secret, user.username)) if secret else ""
    return {"secret": secret, "qr": qr}


def _enrolling(request: HttpRequest) -> User | None:
    """The user of a live enrolment step (password given minutes ago, unchanged since)."""
    step: dict[str, Any] = request.session.get(ENROL) or {}
    if not step or time.time() - float(step.get("at", 0)) > settings.MFA_ENROLMENT_SECONDS:
        return None
    return enrolment_user(
        user_id=str(step.get("user")), still=lambda u: password_mark(u) == step.get("mark")
    )


@public(methods=("GET", "POST"))
def sign_in_set_up(request: HttpRequest) -> HttpResponse:
    """The enrolment step: it can do nothing but set up the authenticator app."""
    user = _enrolling(request)
    if user is None:
        request.session.pop(ENROL, None)
        return redirect("/app/?timeout=1")
    step_actor = actor_for_user(user, auth_method=mfa.ENROLMENT_STEP)
    form = CodeForm(request.POST or None)
    if request.method == "GET":  # each visit starts a fresh pending seed, shown once
        mfa.totp_enrol_start(actor=step_actor, user=user, password=None, ip=_ip(request))
        user.refresh_from_db()
        return render(request, "console/set_up.html", {"form": form, **_scan(user)})
    if form.is_valid():
        try:
            done = mfa.totp_confirm(actor=step_actor, user=user, code=form.cleaned_data["code"])
        except ValidationFailed as refusal:
            add_refusal(form, refusal, {"code": "code"})
        else:
            _start(request, user, "password+totp")
            done_context = {"codes": done.recovery_codes, "next": home_for(step_actor)}
            return render(request, "console/recovery_codes.html", done_context)
    context = {"form": form, **_scan(user)}
    return render(request, "console/set_up.html", context, status=400 if form.errors else 200)


@public(methods=("GET", "POST"))
def password_set(request: HttpRequest) -> HttpResponse:
    """Redeem an invitation or reset code: the person chooses their own password."""
    form = PasswordSetForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            users.password_set_with_token(**form.cleaned_data)
        except AuthenticationFailed:
            form.add_error("token", "This code is unknown, used or out of date. Ask for a new one.")
        except ValidationFailed as refusal:
            add_refusal(form, refusal, {"password": "password"})
        else:
            return redirect("/app/?password_set=1")
    status = 400 if form.errors else 200
    return render(request, "console/password_set.html", {"form": form}, status=status)


@public(methods=("POST",))
def sign_out(request: HttpRequest) -> HttpResponse:
    family = request.session.get(FAMILY)
    if family:
        browser_session_end(family_id=family)
    request.session.flush()
    return redirect("/app/?signed_out=1")


@screen(EVERYONE, methods=("POST",))
def sign_out_all(request: HttpRequest, actor: Actor) -> HttpResponse:
    sign_out_everywhere(actor=actor)
    request.session.flush()
    return redirect("/app/?signed_out=1")


@screen(EVERYONE, methods=("POST",))
def keep_alive(request: HttpRequest, actor: Actor) -> HttpResponse:
    """The idle warning's "Stay signed in": this request itself counts as activity."""
    return HttpResponse(status=204)
