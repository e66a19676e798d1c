"""Routes under /app/. Every view is wrapped by `console.access.screen` or `public` (a test
walks this list and fails on any view without one)."""

from __future__ import annotations

from django.urls import URLPattern, path

from console.views import auth, errors, home, referrals

urlpatterns: list[URLPattern] = [
    path("", home.start, name="console-home"),
    path("sign-in", auth.sign_in, name="console-sign-in"),
    path("sign-in/code", auth.sign_in_code, name="console-sign-in-code"),
    path("sign-out", auth.sign_out, name="console-sign-out"),
    path("session/keep-alive", auth.keep_alive, name="console-keep-alive"),
    path("account/", auth.account, name="console-account"),
    path(
        "account/sign-out-everywhere",
        auth.sign_out_everywhere,
        name="console-sign-out-everywhere",
    ),
    path("referrals/<uuid:referral_id>/", referrals.referral_detail, name="console-referral"),
    path("referrals/<uuid:referral_id>/move", referrals.referral_move, name="console-move"),
    path(
        "referrals/<uuid:referral_id>/messages",
        referrals.referral_message,
        name="console-message",
    ),
    path("referrals/<uuid:referral_id>/assign", referrals.referral_assign, name="console-assign"),
]

# Last: any other /app/ path is the console's own 404 page (not the API's problem+json).
urlpatterns += [path("<path:rest>", errors.not_found, name="console-not-found")]
