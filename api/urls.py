"""Routes under /api/v1/. Each resource module owns its own views."""

from __future__ import annotations

from django.urls import URLPattern, URLResolver, path

from api.v1 import agencies, auth, me

urlpatterns: list[URLPattern | URLResolver] = [
    path("auth/token", auth.TokenObtainApi.as_view(), name="auth-token"),
    path("auth/token/refresh", auth.TokenRefreshApi.as_view(), name="auth-token-refresh"),
    path("auth/token/revoke", auth.TokenRevokeApi.as_view(), name="auth-token-revoke"),
    path("auth/client-token", auth.ClientTokenApi.as_view(), name="auth-client-token"),
    path("me", me.MeApi.as_view(), name="me"),
    path("agencies", agencies.AgencyListApi.as_view(), name="agency-list"),
    path("agencies/<uuid:agency_id>", agencies.AgencyDetailApi.as_view(), name="agency-detail"),
    path(
        "agencies/<uuid:agency_id>/programs",
        agencies.ProgramCreateApi.as_view(),
        name="program-create",
    ),
    path(
        "agencies/<uuid:agency_id>/programs/<uuid:program_id>",
        agencies.ProgramUpdateApi.as_view(),
        name="program-update",
    ),
]

# --- Webhooks (issue 7) ---------------------------------------------------------------------
from api.v1 import webhooks as webhooks_v1  # noqa: E402

urlpatterns += [
    path("webhooks", webhooks_v1.WebhookListCreateApi.as_view(), name="webhook-list"),
    path(
        "webhooks/deliveries/<uuid:delivery_id>/redeliver",
        webhooks_v1.WebhookRedeliverApi.as_view(),
        name="webhook-redeliver",
    ),
    path(
        "webhooks/<uuid:subscription_id>",
        webhooks_v1.WebhookDetailApi.as_view(),
        name="webhook-detail",
    ),
    path(
        "webhooks/<uuid:subscription_id>/rotate-secret",
        webhooks_v1.WebhookRotateSecretApi.as_view(),
        name="webhook-rotate-secret",
    ),
    path(
        "webhooks/<uuid:subscription_id>/deliveries",
        webhooks_v1.WebhookDeliveryListApi.as_view(),
        name="webhook-deliveries",
    ),
]

# --- Consent (issue 5) ----------------------------------------------------------------------
from api.v1 import consents as consents_v1  # noqa: E402

urlpatterns += [
    path(
        "clients/<uuid:client_id>/consents",
        consents_v1.ConsentListCreateApi.as_view(),
        name="consent-list",
    ),
    path(
        "consents/<uuid:consent_id>",
        consents_v1.ConsentDetailApi.as_view(),
        name="consent-detail",
    ),
    path(
        "consents/<uuid:consent_id>/revoke",
        consents_v1.ConsentRevokeApi.as_view(),
        name="consent-revoke",
    ),
]

# --- Referrals and the accounting of disclosures (issue 6) ------------------------------------
from api.v1 import disclosures as disclosures_v1  # noqa: E402
from api.v1 import referrals as referrals_v1  # noqa: E402

urlpatterns += [
    path("referrals", referrals_v1.ReferralCollectionApi.as_view(), name="referral-list"),
    path(
        "referrals/<uuid:referral_id>",
        referrals_v1.ReferralDetailApi.as_view(),
        name="referral-detail",
    ),
    path(
        "referrals/<uuid:referral_id>/transitions",
        referrals_v1.ReferralTransitionApi.as_view(),
        name="referral-transition",
    ),
    path(
        "referrals/<uuid:referral_id>/assign",
        referrals_v1.ReferralAssignApi.as_view(),
        name="referral-assign",
    ),
    path(
        "referrals/<uuid:referral_id>/consent",
        referrals_v1.ReferralConsentAttachApi.as_view(),
        name="referral-consent-attach",
    ),
    path(
        "referrals/<uuid:referral_id>/history",
        referrals_v1.ReferralHistoryApi.as_view(),
        name="referral-history",
    ),
    path(
        "referrals/<uuid:referral_id>/messages",
        referrals_v1.ReferralMessagesApi.as_view(),
        name="referral-messages",
    ),
    path(
        "referrals/<uuid:referral_id>/fhir",
        referrals_v1.ReferralFhirApi.as_view(),
        name="referral-fhir",
    ),
    path(
        "clients/<uuid:client_id>/disclosures",
        disclosures_v1.ClientDisclosuresApi.as_view(),
        name="client-disclosures",
    ),
]

# --- Clients (issue 4) ----------------------------------------------------------------------
from api.v1 import clients as clients_v1  # noqa: E402

urlpatterns += [
    path("clients", clients_v1.ClientListCreateApi.as_view(), name="client-list"),
    path("clients/search", clients_v1.ClientSearchApi.as_view(), name="client-search"),
    path("clients/<uuid:client_id>", clients_v1.ClientDetailApi.as_view(), name="client-detail"),
    path(
        "clients/<uuid:client_id>/erase", clients_v1.ClientEraseApi.as_view(), name="client-erase"
    ),
]

# --- Audit (issue 3) ------------------------------------------------------------------------
from api.v1 import audit as audit_v1  # noqa: E402

urlpatterns += [
    path("audit/events", audit_v1.AuditEventListApi.as_view(), name="audit-events"),
    path("audit/verify", audit_v1.AuditVerifyApi.as_view(), name="audit-verify"),
    path("audit/exports", audit_v1.AuditExportCreateApi.as_view(), name="audit-exports"),
    path(
        "audit/checkpoints", audit_v1.AuditCheckpointCreateApi.as_view(), name="audit-checkpoints"
    ),
    path("audit/public-key", audit_v1.AuditPublicKeyApi.as_view(), name="audit-public-key"),
]

# --- Directory: programs, the capacity pre-check, the taxonomy, HSDS (issue 17) --------------
from api.v1 import directory as directory_v1  # noqa: E402
from api.v1 import programs as programs_v1  # noqa: E402
from api.v1 import reports as reports_v1  # noqa: E402

urlpatterns += [
    path("programs", programs_v1.ProgramListApi.as_view(), name="program-list"),
    path(
        "programs/<uuid:program_id>/availability",
        programs_v1.ProgramAvailabilityApi.as_view(),
        name="program-availability",
    ),
    path(
        "programs/<uuid:program_id>/capacity",
        programs_v1.ProgramCapacityApi.as_view(),
        name="program-capacity",
    ),
    path(
        "programs/<uuid:program_id>/assure",
        programs_v1.ProgramAssureApi.as_view(),
        name="program-assure",
    ),
    path("service-types", programs_v1.ServiceTypeListApi.as_view(), name="service-types"),
    path("directory/hsds", directory_v1.DirectoryHsdsApi.as_view(), name="directory-hsds"),
    path("reports/referrals", reports_v1.ReferralReportApi.as_view(), name="report-referrals"),
]

# --- Accounts: MFA, own sessions and password, staff lifecycle, integrations (issue 14) ----------
from api.v1 import integrations as integrations_v1  # noqa: E402
from api.v1 import mfa as mfa_v1  # noqa: E402
from api.v1 import staff as staff_v1  # noqa: E402

_STAFF_USER = "staff/users/<uuid:user_id>"
urlpatterns += [
    path("auth/password/set", auth.PasswordSetApi.as_view(), name="auth-password-set"),
    path("auth/mfa", mfa_v1.MfaStatusApi.as_view(), name="auth-mfa"),
    path("auth/mfa/enroll", mfa_v1.MfaEnrollApi.as_view(), name="auth-mfa-enroll"),
    path("auth/mfa/confirm", mfa_v1.MfaConfirmApi.as_view(), name="auth-mfa-confirm"),
    path("auth/mfa/replace", mfa_v1.MfaReplaceApi.as_view(), name="auth-mfa-replace"),
    path("auth/mfa/remove", mfa_v1.MfaRemoveApi.as_view(), name="auth-mfa-remove"),
    path(
        "auth/mfa/recovery-codes",
        mfa_v1.MfaRecoveryCodesApi.as_view(),
        name="auth-mfa-recovery-codes",
    ),
    path("me/sessions", me.MySessionListApi.as_view(), name="me-sessions"),
    path(
        "me/sessions/<uuid:family_id>/revoke",
        me.MySessionRevokeApi.as_view(),
        name="me-session-revoke",
    ),
    path("me/password", me.MyPasswordApi.as_view(), name="me-password"),
    path("staff/users", staff_v1.StaffUserListApi.as_view(), name="staff-users"),
    path(_STAFF_USER, staff_v1.StaffUserDetailApi.as_view(), name="staff-user"),
    path(
        _STAFF_USER + "/deactivate",
        staff_v1.StaffUserDeactivateApi.as_view(),
        name="staff-user-deactivate",
    ),
    path(
        _STAFF_USER + "/reactivate",
        staff_v1.StaffUserReactivateApi.as_view(),
        name="staff-user-reactivate",
    ),
    path(_STAFF_USER + "/role", staff_v1.StaffUserRoleApi.as_view(), name="staff-user-role"),
    path(
        _STAFF_USER + "/reset-password",
        staff_v1.StaffUserPasswordResetApi.as_view(),
        name="staff-user-reset-password",
    ),
    path(
        _STAFF_USER + "/reset-mfa",
        staff_v1.StaffUserMfaResetApi.as_view(),
        name="staff-user-reset-mfa",
    ),
    path(
        _STAFF_USER + "/sessions",
        staff_v1.StaffUserSessionListApi.as_view(),
        name="staff-user-sessions",
    ),
    path(
        _STAFF_USER + "/sessions/<uuid:family_id>/revoke",
        staff_v1.StaffUserSessionRevokeApi.as_view(),
        name="staff-user-session-revoke",
    ),
    path("staff/mfa-policy", staff_v1.StaffMfaPolicyApi.as_view(), name="staff-mfa-policy"),
    path(
        "staff/integrations",
        integrations_v1.IntegrationListApi.as_view(),
        name="staff-integrations",
    ),
    path(
        "staff/integrations/<uuid:integration_id>/rotate-secret",
        integrations_v1.IntegrationRotateSecretApi.as_view(),
        name="staff-integration-rotate-secret",
    ),
    path(
        "staff/integrations/<uuid:integration_id>/revoke",
        integrations_v1.IntegrationRevokeApi.as_view(),
        name="staff-integration-revoke",
    ),
]
