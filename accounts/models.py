"""Users, MFA (seeds, recovery codes, policy), integrations, sessions, set-password tokens."""

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
    # A replacement (or first) seed waiting for its first code; the confirmed one stays in force.
    totp_pending_key_id = models.CharField(max_length=64, blank=True)
    totp_pending_sealed = models.BinaryField(null=True, blank=True)
    totp_pending_since = models.DateTimeField(null=True, blank=True)
    # Set by an MFA reset: the next sign-in goes through the enrolment step, whatever the role.
    mfa_enrol_required = models.BooleanField(default=False)
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
    # After a rotation the previous secret keeps working until `previous_secret_expires_at`.
    previous_secret_hash = models.CharField(max_length=64, blank=True)
    previous_secret_expires_at = models.DateTimeField(null=True, blank=True)
    secret_rotated_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.name} ({self.client_id})"


class TokenFamily(BaseModel):
    """One login session: every refresh token rotated from one sign-in shares a family."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="token_families")
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_reason = models.CharField(max_length=32, blank=True)
    # Where the session began (shown to the user in their session list).
    ip = models.CharField(max_length=64, blank=True)
    user_agent = models.CharField(max_length=200, blank=True)

    class Meta:
        indexes = [models.Index(fields=["user", "revoked_at"], name="family_user_live")]

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


class RecoveryCode(models.Model):
    """One single-use MFA recovery code, stored as SHA-256 (each code holds 80 random bits)."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="recovery_codes")
    code_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    used_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"recovery code of {self.user_id}"


class PasswordTokenPurpose(models.TextChoices):
    INVITE = "invite", "Invitation"
    RESET = "reset", "Password reset"


class PasswordToken(BaseModel):
    """A one-time set-password token (invitation or reset), stored as SHA-256, expiring."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="password_tokens")
    token_hash = models.CharField(max_length=64, unique=True)
    purpose = models.CharField(max_length=16, choices=PasswordTokenPurpose.choices)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.purpose} token of {self.user_id}"


class MfaPolicy(models.Model):
    """An agency's explicit choice about MFA (absent: the platform default applies)."""

    agency = models.OneToOneField(
        "agencies.Agency", on_delete=models.CASCADE, primary_key=True, related_name="mfa_policy"
    )
    mfa_optional = models.BooleanField(default=False)
    changed_by = models.ForeignKey(User, on_delete=models.SET_NULL, null=True, blank=True)
    changed_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"MFA {'optional' if self.mfa_optional else 'required'} at {self.agency_id}"


class CacheEntry(models.Model):
    """The table of the database cache (`accounts.cache.DatabaseCache`), created by migrations.

    Sign-in lockout and request throttles live in Django's cache; without Redis they share
    this table. Same columns as `manage.py createcachetable` makes.
    """

    cache_key = models.CharField(max_length=255, primary_key=True)
    value = models.TextField()
    expires = models.DateTimeField(db_index=True)

    class Meta:
        db_table = "rh_cache"

    def __str__(self) -> str:
        return self.cache_key
