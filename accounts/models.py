"""Users, partner integrations, refresh-token families and login failures."""

from __future__ import annotations

import uuid

from django.contrib.auth.models import AbstractBaseUser, BaseUserManager
from django.db import models

from core.models import BaseModel
from core.roles import Role


class UserManager(BaseUserManager["User"]):
    def create_user(self, username: str, password: str | None = None, **fields: object) -> User:
        user = self.model(username=username, **fields)
        user.set_password(password)
        user.save()
        return user

    def create_superuser(
        self, username: str, password: str | None = None, **fields: object
    ) -> User:
        fields.setdefault("is_staff", True)
        fields.setdefault("is_superuser", True)
        return self.create_user(username, password, **fields)


class User(AbstractBaseUser):
    """A person who signs in. Belongs to one agency with one role; platform staff have none."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    username = models.CharField(max_length=150, unique=True)
    agency = models.ForeignKey(
        "agencies.Agency", on_delete=models.PROTECT, null=True, blank=True, related_name="users"
    )
    role = models.CharField(max_length=32, choices=Role.choices, blank=True)
    is_active = models.BooleanField(default=True)
    is_staff = models.BooleanField(default=False)
    is_superuser = models.BooleanField(default=False)
    # The TOTP seed, sealed under the KEK ring (crypto.platform_secrets); never stored in clear.
    totp_key_id = models.CharField(max_length=64, blank=True)
    totp_sealed = models.BinaryField(null=True, blank=True)
    totp_confirmed = models.BooleanField(default=False)
    totp_last_step = models.BigIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    USERNAME_FIELD = "username"
    REQUIRED_FIELDS = []
    objects = UserManager()

    class Meta:
        constraints = [
            models.CheckConstraint(
                name="user_agency_role_together",
                condition=(
                    models.Q(agency__isnull=True, role="")
                    | (models.Q(agency__isnull=False) & ~models.Q(role=""))
                ),
            )
        ]

    def __str__(self) -> str:
        return self.username

    @property
    def mfa_enabled(self) -> bool:
        return self.totp_sealed is not None and self.totp_confirmed


class Integration(BaseModel):
    """A partner system that authenticates with client credentials."""

    agency = models.ForeignKey(
        "agencies.Agency", on_delete=models.PROTECT, related_name="integrations"
    )
    name = models.CharField(max_length=120)
    client_id = models.CharField(max_length=64, unique=True)
    secret_hash = models.CharField(max_length=64)
    scopes = models.JSONField(default=list)
    is_active = models.BooleanField(default=True)

    def __str__(self) -> str:
        return f"{self.name} ({self.client_id})"


class TokenFamily(BaseModel):
    """One login session: every refresh token rotated from one sign-in shares a family."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="token_families")
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_reason = models.CharField(max_length=32, blank=True)

    def __str__(self) -> str:
        return str(self.pk)


class RefreshToken(models.Model):
    """A refresh token we issued (by `jti`); `used_at` is set when it is rotated."""

    jti = models.CharField(max_length=64, primary_key=True)
    family = models.ForeignKey(TokenFamily, on_delete=models.CASCADE, related_name="tokens")
    issued_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return self.jti


class LoginFailure(models.Model):
    """A failed sign-in, kept briefly to throttle guessing per username and per address."""

    username = models.CharField(max_length=150)
    ip = models.CharField(max_length=64)
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [
            models.Index(fields=["username", "at"], name="loginfail_user_at"),
            models.Index(fields=["ip", "at"], name="loginfail_ip_at"),
        ]

    def __str__(self) -> str:
        return f"{self.username}@{self.at:%Y-%m-%dT%H:%M}"
