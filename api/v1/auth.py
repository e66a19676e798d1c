"""Sign-in (with the MFA enrolment step), refresh rotation with reuse detection, sign-out,
client credentials, and redeeming a set-password token."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import cast

from django.conf import settings
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts import integrations, sessions, signin, users
from accounts.models import TokenFamily, User
from api import tokens
from api.base import client_ip
from api.serializers import StrictInput


class TokenObtainInput(StrictInput):
    username = serializers.CharField(max_length=150)
    password = serializers.CharField(max_length=256, trim_whitespace=False)
    otp = serializers.CharField(max_length=10, required=False)
    recovery_code = serializers.CharField(max_length=40, required=False)


class TokenPairOutput(serializers.Serializer):
    access = serializers.CharField()
    refresh = serializers.CharField()
    token_type = serializers.CharField()
    expires_in = serializers.IntegerField()


class EnrolmentStepOutput(serializers.Serializer):
    enrolment_token = serializers.CharField(
        help_text="Accepted only by /auth/mfa/enroll and /auth/mfa/confirm, for `expires_in` s."
    )
    token_type = serializers.CharField()
    expires_in = serializers.IntegerField()
    next = serializers.CharField(help_text="`mfa_enrol`: set up an authenticator app now.")


class RefreshInput(StrictInput):
    refresh = serializers.CharField(max_length=2000)


class ClientTokenInput(StrictInput):
    client_id = serializers.CharField(max_length=64)
    client_secret = serializers.CharField(max_length=200)


class AccessOutput(serializers.Serializer):
    access = serializers.CharField()
    token_type = serializers.CharField()
    expires_in = serializers.IntegerField()
    scope = serializers.CharField()


class PasswordSetInput(StrictInput):
    token = serializers.CharField(max_length=200)
    password = serializers.CharField(max_length=256, trim_whitespace=False)


def _lifetime() -> int:
    lifetime = cast(timedelta, settings.SIMPLE_JWT["ACCESS_TOKEN_LIFETIME"])
    return int(lifetime.total_seconds())


def token_pair(user: User, family: TokenFamily, refresh: str) -> dict[str, object]:
    return {
        "access": tokens.user_access(user, family),
        "refresh": refresh,
        "token_type": "Bearer",
        "expires_in": _lifetime(),
    }


def session_start(user: User, auth_method: str) -> dict[str, object]:
    """A new token family for a completed sign-in, as the token pair to return."""
    family_id = uuid.uuid4()
    refresh, jti, expires_at = tokens.new_refresh(str(user.id), str(family_id))
    family = sessions.token_family_start(
        user=user, family_id=family_id, jti=jti, expires_at=expires_at, auth_method=auth_method
    )
    return token_pair(user, family, refresh)


def _enrolment_step(user: User) -> Response:
    body = {
        "enrolment_token": tokens.enrolment_token(user),
        "token_type": "Bearer",
        "expires_in": settings.MFA_ENROLMENT_SECONDS,
        "next": "mfa_enrol",
    }
    return Response(body, status=status.HTTP_202_ACCEPTED)


class TokenObtainApi(APIView):
    """Username and password (and `otp` or `recovery_code` once MFA is set up) for tokens.

    202 instead of 200: the user's role requires MFA and none is set up yet; the body holds a
    short-lived enrolment token that can do nothing but enrol.
    """

    authentication_classes: list[type] = []
    permission_classes = [AllowAny]  # the credentials are the authentication

    @extend_schema(
        request=TokenObtainInput,
        responses={200: TokenPairOutput, 202: EnrolmentStepOutput},
        auth=[],
    )
    def post(self, request: Request) -> Response:
        data = TokenObtainInput(data=request.data)
        data.is_valid(raise_exception=True)
        result = signin.login_authenticate(**data.validated_data, ip=client_ip(request))
        if not result.complete:
            return _enrolment_step(result.user)
        return Response(session_start(result.user, result.auth_method))


class TokenRefreshApi(APIView):
    """Rotate a refresh token. Re-presenting a rotated one revokes the whole family."""

    authentication_classes: list[type] = []
    permission_classes = [AllowAny]  # the refresh token is the authentication

    @extend_schema(request=RefreshInput, responses={200: TokenPairOutput}, auth=[])
    def post(self, request: Request) -> Response:
        data = RefreshInput(data=request.data)
        data.is_valid(raise_exception=True)
        claims = tokens.decode_refresh(data.validated_data["refresh"])
        refresh, jti, expires_at = tokens.new_refresh(str(claims["sub"]), str(claims.get("fam")))
        rotation = sessions.refresh_rotate(
            old_jti=str(claims.get("jti")), new_jti=jti, expires_at=expires_at
        )
        return Response(token_pair(rotation.user, rotation.family, refresh))


class TokenRevokeApi(APIView):
    """Sign out: revoke the refresh token's family and every access token issued from it."""

    authentication_classes: list[type] = []
    permission_classes = [AllowAny]  # the refresh token is the authentication

    @extend_schema(request=RefreshInput, responses={204: None}, auth=[])
    def post(self, request: Request) -> Response:
        data = RefreshInput(data=request.data)
        data.is_valid(raise_exception=True)
        claims = tokens.decode_refresh(data.validated_data["refresh"])
        sessions.family_revoke(jti=str(claims.get("jti")))
        return Response(status=status.HTTP_204_NO_CONTENT)


class ClientTokenApi(APIView):
    """Client-credentials grant for partner integrations (no refresh token)."""

    authentication_classes: list[type] = []
    permission_classes = [AllowAny]  # the client credentials are the authentication

    @extend_schema(request=ClientTokenInput, responses={200: AccessOutput}, auth=[])
    def post(self, request: Request) -> Response:
        data = ClientTokenInput(data=request.data)
        data.is_valid(raise_exception=True)
        integration = integrations.integration_authenticate(**data.validated_data)
        return Response(
            {
                "access": tokens.integration_access(integration),
                "token_type": "Bearer",
                "expires_in": _lifetime(),
                "scope": " ".join(integration.scopes),
            }
        )


class PasswordSetApi(APIView):
    """Redeem an invitation or reset token (from your agency admin) by choosing a password."""

    authentication_classes: list[type] = []
    permission_classes = [AllowAny]  # the one-time token is the authentication

    @extend_schema(request=PasswordSetInput, responses={204: None}, auth=[])
    def post(self, request: Request) -> Response:
        data = PasswordSetInput(data=request.data)
        data.is_valid(raise_exception=True)
        users.password_set_with_token(**data.validated_data)
        return Response(status=status.HTTP_204_NO_CONTENT)
