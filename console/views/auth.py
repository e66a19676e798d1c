"""Sign-in (password, then a one-time code when enrolled), sign-out, and the idle keep-alive."""

from __future__ import annotations

import time

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from accounts.services import actor_for_user, login_authenticate
from accounts.sessions import (
    password_checked_user,
    second_factor_check,
    second_factor_due,
    session_end,
    session_start,
    sessions_end_all,
)
from console.access import EVERYONE, public, screen
from console.forms import CodeForm, SignInForm
from console.middleware import FAMILY, SEEN, USER
from console.nav import home_for
from core.actor import Actor
from core.errors import AuthenticationFailed, PermissionDenied, TooManyRequests

PENDING = "console_pending"  # {"user": id, "at": epoch}: password checked, code still owed
WRONG = "The username, password or code is not right. Check them and try again."
THROTTLED = "Too many failed sign-ins. Wait 15 minutes, then try again."
NO_MFA = (
    "Your role needs a second sign-in step (an authenticator app) and it is not set up yet. "
    "Ask your agency administrator to set it up."
)


def _ip(request: HttpRequest) -> str:
    return str(request.META.get("REMOTE_ADDR", ""))[:64]


def _start(request: HttpRequest, user: object) -> HttpResponse:
    request.session.cycle_key()  # a new session id at sign-in: no session fixation
    request.session.pop(PENDING, None)
    family = session_start(user=user)  # type: ignore[arg-type]
    request.session[USER] = str(family.user_id)
    request.session[FAMILY] = str(family.id)
    request.session[SEEN] = time.time()
    return redirect(home_for(actor_for_user(family.user, auth_method="session")))


def sign_in_page(request: HttpRequest, form: SignInForm | None = None, status: int = 200):  # type: ignore[no-untyped-def]
    context = {
        "form": form or SignInForm(),
        "timed_out": request.GET.get("timeout") == "1",
        "signed_out": request.GET.get("signed_out") == "1",
    }
    return render(request, "console/sign_in.html", context, status=status)


@public(methods=("POST",))
def sign_in(request: HttpRequest) -> HttpResponse:
    form = SignInForm(request.POST)
    if not form.is_valid():
        return sign_in_page(request, form, status=400)
    data = form.cleaned_data
    try:
        user = login_authenticate(
            username=data["username"], password=data["password"], otp=None, ip=_ip(request)
        )
    except AuthenticationFailed as error:
        if error.code != "mfa_required":
            form.add_error(None, WRONG)
            return sign_in_page(request, form, status=401)
        request.session.cycle_key()
        request.session[PENDING] = {
            "user": password_checked_user(username=data["username"]),
            "at": time.time(),
        }
        return redirect("/app/sign-in/code")
    except TooManyRequests:
        form.add_error(None, THROTTLED)
        return sign_in_page(request, form, status=429)
    except PermissionDenied:
        form.add_error(None, NO_MFA)
        return sign_in_page(request, form, status=403)
    return _start(request, user)


def _pending(request: HttpRequest) -> str | None:
    pending = request.session.get(PENDING) or {}
    if pending and second_factor_due(since=float(pending.get("at", 0))):
        return str(pending["user"])
    return None


@public(methods=("GET", "POST"))
def sign_in_code(request: HttpRequest) -> HttpResponse:
    user_id = _pending(request)
    if user_id is None:
        return redirect("/app/")
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            user = second_factor_check(
                user_id=user_id, otp=form.cleaned_data["otp"], ip=_ip(request)
            )
        except TooManyRequests:
            request.session.pop(PENDING, None)
            form.add_error(None, THROTTLED)
        except AuthenticationFailed:
            form.add_error("otp", "That code is not right. Enter the code your app shows now.")
        else:
            return _start(request, user)
    status = 400 if form.errors else 200
    return render(request, "console/sign_in_code.html", {"form": form}, status=status)


@public(methods=("POST",))
def sign_out(request: HttpRequest) -> HttpResponse:
    family = request.session.get(FAMILY)
    if family:
        session_end(family_id=family)
    request.session.flush()
    return redirect("/app/?signed_out=1")


@screen(EVERYONE, methods=("POST",))
def sign_out_everywhere(request: HttpRequest, actor: Actor) -> HttpResponse:
    sessions_end_all(actor=actor)
    request.session.flush()
    return redirect("/app/?signed_out=1")


@screen(EVERYONE)
def account(request: HttpRequest, actor: Actor) -> HttpResponse:
    return render(request, "console/account.html", {})


@screen(EVERYONE, methods=("POST",))
def keep_alive(request: HttpRequest, actor: Actor) -> HttpResponse:
    """The idle warning's "Stay signed in": this request itself counts as activity."""
    return HttpResponse(status=204)
