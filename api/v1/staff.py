"""The staff lifecycle for an agency's admin: users, their sessions, and the MFA policy.

Own agency only: a user of another agency is 404, like one that does not exist. Every change
is audited by its service.
"""

from __future__ import annotations

import uuid

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.generics import GenericAPIView
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts import mfa, sessions, users
from accounts.mfa_policy import agency_mfa_optional, mfa_policy_set
from accounts.selectors import session_get, user_get_for, user_of, user_qs_for
from accounts.signin import reauthenticate
from api.base import actor_of, client_ip
from api.pagination import CreatedCursorPagination
from api.permissions import allow
from api.serializers import StrictInput
from api.v1.me import SessionListView, SessionOutput
from core.roles import Role

ADMINS = allow(roles=(Role.AGENCY_ADMIN,))


class StaffUserOutput(serializers.Serializer):
    id = serializers.UUIDField()
    username = serializers.CharField()
    role = serializers.ChoiceField(choices=Role.choices)
    is_active = serializers.BooleanField()
    mfa_enrolled = serializers.BooleanField(source="mfa_enabled")
    mfa_enrol_required = serializers.BooleanField()
    password_set = serializers.SerializerMethodField()
    created_at = serializers.DateTimeField()

    def get_password_set(self, user: object) -> bool:
        return bool(user.has_usable_password())  # type: ignore[attr-defined]


class StaffInviteInput(StrictInput):
    username = serializers.RegexField(r"^[\w.@+-]{3,150}$", max_length=150)
    role = serializers.ChoiceField(choices=Role.choices)


class PasswordLinkOutput(serializers.Serializer):
    user_id = serializers.UUIDField(source="user.id")
    user = StaffUserOutput(help_text="Read-only: the user of `user_id`.")
    set_password_token = serializers.CharField(
        help_text="Shown once: give it to the person; they POST it to /auth/password/set."
    )
    expires_at = serializers.DateTimeField()


class StaffRoleInput(StrictInput):
    role = serializers.ChoiceField(choices=Role.choices)


class MfaPolicyOutput(serializers.Serializer):
    mfa_optional = serializers.BooleanField()


class MfaPolicyInput(StrictInput):
    mfa_optional = serializers.BooleanField()
    password = serializers.CharField(max_length=256, trim_whitespace=False)


def _link(link: users.PasswordLink) -> dict[str, object]:
    return {
        "user_id": str(link.user.id),
        "user": StaffUserOutput(link.user).data,
        "set_password_token": link.token,
        "expires_at": link.expires_at,
    }


class StaffUserListApi(GenericAPIView):
    """Your agency's users; POST invites one (a set-password token, shown once)."""

    permission_classes = [ADMINS]
    pagination_class = CreatedCursorPagination
    serializer_class = StaffUserOutput

    @extend_schema(responses={200: StaffUserOutput(many=True)})
    def get(self, request: Request) -> Response:
        page = self.paginate_queryset(user_qs_for(actor_of(request)))
        return self.get_paginated_response(StaffUserOutput(page, many=True).data)

    @extend_schema(request=StaffInviteInput, responses={201: PasswordLinkOutput})
    def post(self, request: Request) -> Response:
        data = StaffInviteInput(data=request.data)
        data.is_valid(raise_exception=True)
        link = users.user_invite(actor=actor_of(request), **data.validated_data)
        return Response(_link(link), status=status.HTTP_201_CREATED)


class StaffUserDetailApi(APIView):
    """One user of your agency."""

    permission_classes = [ADMINS]

    @extend_schema(responses={200: StaffUserOutput})
    def get(self, request: Request, user_id: uuid.UUID) -> Response:
        return Response(
            StaffUserOutput(user_get_for(actor=actor_of(request), user_id=user_id)).data
        )


class StaffUserDeactivateApi(APIView):
    """Deactivate: every session of theirs ends now (the next request is 401)."""

    permission_classes = [ADMINS]

    @extend_schema(request=None, responses={200: StaffUserOutput})
    def post(self, request: Request, user_id: uuid.UUID) -> Response:
        actor = actor_of(request)
        user = users.user_set_active(
            actor=actor, user=user_get_for(actor=actor, user_id=user_id), active=False
        )
        return Response(StaffUserOutput(user).data)


class StaffUserReactivateApi(APIView):
    """Reactivate a deactivated user (they sign in again; old sessions stay revoked)."""

    permission_classes = [ADMINS]

    @extend_schema(request=None, responses={200: StaffUserOutput})
    def post(self, request: Request, user_id: uuid.UUID) -> Response:
        actor = actor_of(request)
        user = users.user_set_active(
            actor=actor, user=user_get_for(actor=actor, user_id=user_id), active=True
        )
        return Response(StaffUserOutput(user).data)


class StaffUserRoleApi(APIView):
    """Change a user's role (applies on their next request)."""

    permission_classes = [ADMINS]

    @extend_schema(request=StaffRoleInput, responses={200: StaffUserOutput})
    def post(self, request: Request, user_id: uuid.UUID) -> Response:
        actor = actor_of(request)
        user = user_get_for(actor=actor, user_id=user_id)
        data = StaffRoleInput(data=request.data)
        data.is_valid(raise_exception=True)
        user = users.user_role_change(actor=actor, user=user, role=data.validated_data["role"])
        return Response(StaffUserOutput(user).data)


class StaffUserPasswordResetApi(APIView):
    """The password stops working and every session ends; a set-password token, once."""

    permission_classes = [ADMINS]

    @extend_schema(request=None, responses={200: PasswordLinkOutput})
    def post(self, request: Request, user_id: uuid.UUID) -> Response:
        actor = actor_of(request)
        link = users.user_password_reset(
            actor=actor, user=user_get_for(actor=actor, user_id=user_id)
        )
        return Response(_link(link))


class StaffUserMfaResetApi(APIView):
    """Remove the user's second factor and sessions: they enrol again at their next sign-in."""

    permission_classes = [ADMINS]

    @extend_schema(request=None, responses={200: StaffUserOutput})
    def post(self, request: Request, user_id: uuid.UUID) -> Response:
        actor = actor_of(request)
        user = user_get_for(actor=actor, user_id=user_id)
        mfa.mfa_reset(actor=actor, user=user)
        user.refresh_from_db()
        return Response(StaffUserOutput(user).data)


class StaffUserSessionListApi(SessionListView):
    """The user's sessions still in force, newest first."""

    permission_classes = [ADMINS]

    @extend_schema(responses={200: SessionOutput(many=True)})
    def get(self, request: Request, user_id: uuid.UUID) -> Response:
        return self.sessions_page(user_get_for(actor=actor_of(request), user_id=user_id), None)


class StaffUserSessionRevokeApi(APIView):
    """Revoke one session of the user (its tokens stop at once)."""

    permission_classes = [ADMINS]

    @extend_schema(request=None, responses={204: None})
    def post(self, request: Request, user_id: uuid.UUID, family_id: uuid.UUID) -> Response:
        actor = actor_of(request)
        user = user_get_for(actor=actor, user_id=user_id)
        family = session_get(user=user, family_id=family_id)
        sessions.session_revoke(actor=actor, user=user, family=family)
        return Response(status=status.HTTP_204_NO_CONTENT)


class StaffMfaPolicyApi(APIView):
    """Whether MFA is optional at your agency; PUT changes it (your password, audited)."""

    permission_classes = [ADMINS]

    @extend_schema(responses={200: MfaPolicyOutput})
    def get(self, request: Request) -> Response:
        return Response({"mfa_optional": agency_mfa_optional(actor_of(request).agency_id)})

    @extend_schema(request=MfaPolicyInput, responses={200: MfaPolicyOutput})
    def put(self, request: Request) -> Response:
        actor = actor_of(request)
        data = MfaPolicyInput(data=request.data)
        data.is_valid(raise_exception=True)
        admin = user_of(actor)
        reauthenticate(
            actor=actor, user=admin, password=data.validated_data["password"], ip=client_ip(request)
        )
        policy = mfa_policy_set(
            actor=actor, user=admin, optional=data.validated_data["mfa_optional"]
        )
        return Response({"mfa_optional": policy.mfa_optional})
