from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "accounts"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        """TOTP seeds (active and pending) are sealed under the KEK: register them for rotation."""
        from accounts import checks  # noqa: F401 - registers the limits-store startup check
        from accounts.mfa import totp_secrets_rewrap
        from accounts.models import User
        from crypto.registry import SealedSecrets, sealed_secrets_register

        sealed_secrets_register(
            SealedSecrets(
                "TOTP secrets",
                lambda: User.objects.exclude(totp_key_id=""),
                "totp_key_id",
                rewrap=totp_secrets_rewrap,
            ),
            SealedSecrets(
                "TOTP secrets (pending)",
                lambda: User.objects.exclude(totp_pending_key_id=""),
                "totp_pending_key_id",
            ),
        )
