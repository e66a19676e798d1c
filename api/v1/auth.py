"""Sign-in, refresh rotation with reuse detection, sign-out, client credentials and TOTP."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import cast

from django.conf import settings
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts import services
from accounts.models import TokenFamily, User
from api import tokens
from api.base import actor_of, client_ip
from api.permissions import Authenticated, allow
from api.serializers import StrictInput


class TokenObtainInput(StrictInput):
    username = serializers.CharField(max_length=150)
    password = serializers.CharField(max_length=256, trim_whitespace=False)
    otp = serializers.CharField(max_length=10, required=False)


class TokenPairOutput(serializers.Serializer):
    access = serializers.CharField()
    refresh = serializers.CharField()
    token_type = serializers.CharField()
    expires_in = serializers.IntegerField()


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


class MfaConfirmInput(StrictInput):
    code = serializers.CharField(max_length=10)


def _lifetime() -> int:
    lifetime = cast(timedelta, settings.SIMPLE_JWT["ACCESS_TOKEN_LIFETIME"])
    return int(lifetime.total_seconds())


def _pair(user: User, family: TokenFamily, refresh: str) -> Response:
    return Response(
        {
            "access": tokens.user_access(user, family),
            "refresh": refresh,
            "token_type": "Bearer",
            "expires_in": _lifetime(),
        }
    )


class TokenObtainApi(APIView):
    """Exchange a username and password (and TOTP code where enrolled) for tokens."""

    authentication_classes: list[type] = []
    permission_classes = [AllowAny]  # the credentials are the authentication

    @extend_schema(request=TokenObtainInput, responses={200: TokenPairOutput}, auth=[])
    def post(self, request: Request) -> Response:
        data = TokenObtainInput(data=request.data)
        data.is_valid(raise_exception=True)
        user = services.login_authenticate(
            username=data.validated_data["username"],
            password=data.validated_data["password"],
            otp=data.validated_data.get("otp"),
            ip=client_ip(request),
        )
        family_id = uuid.uuid4()
        refresh, jti, expires_at = tokens.new_refresh(str(user.id), str(family_id))
        family = services.token_family_start(
            user=user, family_id=family_id, jti=jti, expires_at=expires_at
        )
        return _pair(user, family, refresh)


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
        rotation = services.refresh_rotate(
            old_jti=str(claims.get("jti")), new_jti=jti, expires_at=expires_at
        )
        return _pair(rotation.user, rotation.family, refresh)


class TokenRevokeApi(APIView):
    """Sign out: revoke the refresh token's family and every access token issued from it."""

    authentication_classes: list[type] = []
    permission_classes = [AllowAny]  # the refresh token is the authentication

    @extend_schema(request=RefreshInput, responses={204: None}, auth=[])
    def post(self, request: Request) -> Response:
        data = RefreshInput(data=request.data)
        data.is_valid(raise_exception=True)
        claims = tokens.decode_refresh(data.validated_data["refresh"])
        services.family_revoke(jti=str(claims.get("jti")))
        return Response(status=status.HTTP_204_NO_CONTENT)


class ClientTokenApi(APIView):
    """Client-credentials grant for partner integrations (no refresh token)."""

    authentication_classes: list[type] = []
    permission_classes = [AllowAny]  # the client credentials are the authentication

    @extend_schema(request=ClientTokenInput, responses={200: AccessOutput}, auth=[])
    def post(self, request: Request) -> Response:
        data = ClientTokenInput(data=request.data)
        data.is_valid(raise_exception=True)
        integration = services.integration_authenticate(
            client_id=data.validated_data["client_id"],
            client_secret=data.validated_data["client_secret"],
        )
        return Response(
            {
                "access": tokens.integration_access(integration),
                "token_type": "Bearer",
                "expires_in": _lifetime(),
                "scope": " ".join(integration.scopes),
            }
        )


class MfaEnrollApi(APIView):
    """Start TOTP enrolment; the provisioning URI is shown once."""

    permission_classes = [
        Authenticated,
        allow(roles=("caseworker", "supervisor", "agency_admin", "compliance_officer")),
    ]

    @extend_schema(
        request=None,
        responses={
            200: inline_serializer("MfaEnrollOutput", {"otpauth_uri": serializers.CharField()})
        },
    )
    def post(self, request: Request) -> Response:
        actor = actor_of(request)
        user = User.objects.get(pk=str(actor.user_id))
        return Response({"otpauth_uri": services.totp_enroll(actor=actor, user=user)})


class MfaConfirmApi(APIView):
    """Confirm TOTP enrolment with a current code."""

    permission_classes = [
        Authenticated,
        allow(roles=("caseworker", "supervisor", "agency_admin", "compliance_officer")),
    ]

    @extend_schema(request=MfaConfirmInput, responses={204: None})
    def post(self, request: Request) -> Response:
        actor = actor_of(request)
        data = MfaConfirmInput(data=request.data)
        data.is_valid(raise_exception=True)
        user = User.objects.get(pk=str(actor.user_id))
        services.totp_confirm(actor=actor, user=user, code=data.validated_data["code"])
        return Response(status=status.HTTP_204_NO_CONTENT)
