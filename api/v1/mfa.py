"""A user's own second factor: enrol (also from the enrolment step), confirm, replace, remove,
regenerate recovery codes, and see where they stand.

Only `enroll` and `confirm` accept the enrolment-step token; everything else needs a full
session. Replacing or removing a factor takes the password and a current code (or a recovery
code) in the same request: an access token alone changes nothing.
"""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts import factors, mfa
from accounts.mfa_policy import mfa_required_for
from accounts.selectors import user_of
from api.auth import EnrolmentAuthentication, TokenAuthentication
from api.base import actor_of, client_ip
from api.permissions import allow
from api.serializers import StrictInput
from api.v1.auth import TokenPairOutput, session_start
from core.roles import Role

USERS = allow(roles=tuple(Role.values))


class MfaStatusOutput(serializers.Serializer):
    enrolled = serializers.BooleanField()
    mfa_required = serializers.BooleanField(help_text="Your role and agency require MFA.")
    pending = serializers.BooleanField(help_text="An enrolment or replacement awaits its code.")
    recovery_codes_remaining = serializers.IntegerField()


class MfaEnrollInput(StrictInput):
    password = serializers.CharField(
        max_length=256,
        trim_whitespace=False,
        required=False,
        help_text="Required with a full session; not with the enrolment-step token.",
    )


class MfaUriOutput(serializers.Serializer):
    otpauth_uri = serializers.CharField(help_text="Shown once: scan it into your authenticator.")


class MfaConfirmInput(StrictInput):
    code = serializers.CharField(max_length=10)


class MfaConfirmOutput(serializers.Serializer):
    recovery_codes = serializers.ListField(
        child=serializers.CharField(), help_text="Ten single-use codes, shown only now."
    )
    tokens = TokenPairOutput(
        required=False, help_text="Present when this ended the enrolment step of a sign-in."
    )


class MfaFactorInput(StrictInput):
    password = serializers.CharField(max_length=256, trim_whitespace=False)
    otp = serializers.CharField(max_length=10, required=False)
    recovery_code = serializers.CharField(max_length=40, required=False)


class MfaCodeInput(StrictInput):
    otp = serializers.CharField(max_length=10)


class RecoveryCodesOutput(serializers.Serializer):
    recovery_codes = serializers.ListField(child=serializers.CharField())


def _input(serializer: type[StrictInput], request: Request) -> dict[str, str]:
    data = serializer(data=request.data)
    data.is_valid(raise_exception=True)
    return dict(data.validated_data)


class MfaStatusApi(APIView):
    """Whether you have a second factor, whether your role requires one, codes left."""

    permission_classes = [USERS]

    @extend_schema(responses={200: MfaStatusOutput})
    def get(self, request: Request) -> Response:
        user = user_of(actor_of(request))
        return Response(
            {
                "enrolled": user.mfa_enabled,
                "mfa_required": mfa_required_for(user),
                "pending": user.totp_pending_sealed is not None,
                "recovery_codes_remaining": factors.recovery_codes_remaining(user),
            }
        )


class MfaEnrollApi(APIView):
    """Start enrolment (no factor yet); the provisioning URI is shown once."""

    authentication_classes = [EnrolmentAuthentication, TokenAuthentication]
    permission_classes = [USERS]

    @extend_schema(request=MfaEnrollInput, responses={200: MfaUriOutput})
    def post(self, request: Request) -> Response:
        actor = actor_of(request)
        body = _input(MfaEnrollInput, request)
        uri = mfa.totp_enrol_start(
            actor=actor, user=user_of(actor), password=body.get("password"), ip=client_ip(request)
        )
        return Response({"otpauth_uri": uri})


class MfaConfirmApi(APIView):
    """Confirm the pending seed with its current code; recovery codes (and tokens) once."""

    authentication_classes = [EnrolmentAuthentication, TokenAuthentication]
    permission_classes = [USERS]

    @extend_schema(request=MfaConfirmInput, responses={200: MfaConfirmOutput})
    def post(self, request: Request) -> Response:
        actor = actor_of(request)
        user = user_of(actor)
        done = mfa.totp_confirm(
            actor=actor, user=user, code=_input(MfaConfirmInput, request)["code"]
        )
        body: dict[str, object] = {"recovery_codes": done.recovery_codes}
        if actor.auth_method == mfa.ENROLMENT_STEP:
            body["tokens"] = session_start(user, "password+totp")
        return Response(body)


class MfaReplaceApi(APIView):
    """Start replacing your factor (password + code); confirm the new one with /confirm."""

    permission_classes = [USERS]

    @extend_schema(request=MfaFactorInput, responses={200: MfaUriOutput})
    def post(self, request: Request) -> Response:
        actor = actor_of(request)
        body = _input(MfaFactorInput, request)
        uri = mfa.totp_replace_start(
            actor=actor,
            user=user_of(actor),
            password=body["password"],
            otp=body.get("otp"),
            recovery_code=body.get("recovery_code"),
            ip=client_ip(request),
        )
        return Response({"otpauth_uri": uri})


class MfaRemoveApi(APIView):
    """Turn MFA off (password + code), where your role and agency allow it."""

    permission_classes = [USERS]

    @extend_schema(request=MfaFactorInput, responses={204: None})
    def post(self, request: Request) -> Response:
        actor = actor_of(request)
        body = _input(MfaFactorInput, request)
        mfa.totp_remove(
            actor=actor,
            user=user_of(actor),
            password=body["password"],
            otp=body.get("otp"),
            recovery_code=body.get("recovery_code"),
            ip=client_ip(request),
        )
        return Response(status=204)


class MfaRecoveryCodesApi(APIView):
    """Ten new recovery codes for a current one-time code; the old ones stop working."""

    permission_classes = [USERS]

    @extend_schema(request=MfaCodeInput, responses={200: RecoveryCodesOutput})
    def post(self, request: Request) -> Response:
        actor = actor_of(request)
        otp = _input(MfaCodeInput, request)["otp"]
        codes = mfa.recovery_codes_regenerate(
            actor=actor, user=user_of(actor), otp=otp, ip=client_ip(request)
        )
        return Response({"recovery_codes": codes})
