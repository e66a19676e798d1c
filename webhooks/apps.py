from django.apps import AppConfig


class WebhooksConfig(AppConfig):
    name = "webhooks"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        """Signing secrets are sealed under the KEK ring: register them for key rotation."""
        from crypto.registry import SealedSecrets, sealed_secrets_register
        from webhooks.maintenance import subscription_secrets_rewrap
        from webhooks.models import Subscription

        sealed_secrets_register(
            SealedSecrets(
                "webhook secrets",
                Subscription.objects.all,
                "secret_key_id",
                rewrap=subscription_secrets_rewrap,
            ),
            SealedSecrets(
                "webhook secrets (previous)", Subscription.objects.all, "previous_secret_key_id"
            ),
        )
