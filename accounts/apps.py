from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "accounts"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        """TOTP seeds are sealed under the KEK ring: register them for key rotation."""
        from accounts.models import User
        from accounts.services import totp_secrets_rewrap
        from crypto.registry import SealedSecrets, sealed_secrets_register

        sealed_secrets_register(
            SealedSecrets(
                "TOTP secrets",
                lambda: User.objects.exclude(totp_key_id=""),
                "totp_key_id",
                rewrap=totp_secrets_rewrap,
            )
        )
