from django.apps import AppConfig


class WebhooksConfig(AppConfig):
    name = "webhooks"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        """Signing secrets are sealed under the KEK ring: register them for key rotation. The
        outbox is where accounts announces MFA changes and the directory its capacity changes
        (`accounts` and `agencies` cannot import this app): register it there."""
        from accounts.notify import event_sink_register
        from agencies.events import publisher_register
        from crypto.registry import SealedSecrets, sealed_secrets_register
        from webhooks.broadcast import outbox_broadcast
        from webhooks.maintenance import subscription_secrets_rewrap
        from webhooks.models import Subscription
        from webhooks.services import outbox_emit

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
        event_sink_register(outbox_emit)
        publisher_register(outbox_broadcast)
