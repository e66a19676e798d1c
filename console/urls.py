"""Routes under /app/. Every view is wrapped by `console.access.screen` or `public` (a test
walks this list and fails on any view without one)."""

from __future__ import annotations

from django.urls import URLPattern, path

from console.views import (
    account,
    admin,
    audit,
    auth,
    clients,
    consents,
    errors,
    home,
    insight,
    referrals,
    send,
)

urlpatterns: list[URLPattern] = [
    path("", home.start, name="console-home"),
    path("sign-in", auth.sign_in, name="console-sign-in"),
    path("sign-in/set-up", auth.sign_in_set_up, name="console-sign-in-set-up"),
    path("set-password", auth.password_set, name="console-password-set"),
    path("sign-out", auth.sign_out, name="console-sign-out"),
    path("session/keep-alive", auth.keep_alive, name="console-keep-alive"),
    path("account/", account.account, name="console-account"),
    path("account/password", account.password_change, name="console-password-change"),
    path("account/authenticator", account.authenticator, name="console-authenticator"),
    path("account/recovery-codes", account.recovery_codes, name="console-recovery-codes"),
    path(
        "account/sessions/<uuid:family_id>/end",
        account.session_end,
        name="console-session-end",
    ),
    path(
        "account/sign-out-everywhere",
        auth.sign_out_all,
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
    path("referrals/<uuid:referral_id>/consent", referrals.referral_attach, name="console-attach"),
    path("clients/", clients.client_list, name="console-clients"),
    path("clients/new", clients.client_new, name="console-client-new"),
    path("clients/duplicates", clients.client_duplicates, name="console-client-duplicates"),
    path("clients/<uuid:client_id>/", clients.client_detail, name="console-client"),
    path(
        "clients/<uuid:client_id>/edit/<str:category>",
        clients.client_edit,
        name="console-client-edit",
    ),
    path("clients/<uuid:client_id>/erase", clients.client_erase, name="console-client-erase"),
    path("clients/<uuid:client_id>/refer", send.referral_send, name="console-refer"),
    path(
        "clients/<uuid:client_id>/disclosures",
        insight.client_disclosures,
        name="console-client-disclosures",
    ),
    path("audit/", audit.audit_events, name="console-audit"),
    path("audit/verify/", audit.audit_verify, name="console-audit-verify"),
    path("audit/checkpoint", audit.audit_checkpoint, name="console-audit-checkpoint"),
    path("audit/export", audit.audit_export, name="console-audit-export"),
    path("audit/public-key", audit.audit_public_key, name="console-audit-public-key"),
    path("audit/charts/", insight.audit_charts, name="console-audit-charts"),
    path("audit/disclosures/", insight.audit_disclosures, name="console-audit-disclosures"),
    path("admin/users/", admin.staff, name="console-staff"),
    path("admin/users/<uuid:user_id>/change", admin.staff_change, name="console-staff-change"),
    path("admin/integrations/", admin.integrations, name="console-integrations"),
    path(
        "admin/integrations/<uuid:integration_id>/change",
        admin.integration_change,
        name="console-integration-change",
    ),
    path("admin/webhooks/", admin.webhooks, name="console-webhooks"),
    path(
        "clients/<uuid:client_id>/consents/new",
        consents.consent_new,
        name="console-consent-new",
    ),
    path(
        "consents/<uuid:consent_id>/withdraw",
        consents.consent_withdraw,
        name="console-consent-withdraw",
    ),
    path(
        "consents/<uuid:consent_id>/receipt",
        consents.consent_receipt_page,
        name="console-receipt",
    ),
    path(
        "consents/<uuid:consent_id>/receipt.pdf",
        consents.consent_receipt_pdf,
        name="console-receipt-pdf",
    ),
    path(
        "consents/<uuid:consent_id>/receipt.json",
        consents.consent_receipt_data,
        name="console-receipt-json",
    ),
]

# Last: any other /app/ path is the console's own 404 page (not the API's problem+json).
urlpatterns += [path("<path:rest>", errors.not_found, name="console-not-found")]
