from django.apps import AppConfig


class CryptoConfig(AppConfig):
    name = "crypto"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        """Refuse to start with an unusable key ring (fail closed), with a message that says why."""
        from django.conf import settings

        from core.errors import ConfigError
        from crypto.keyring import KeyRingError, load_keyring

        if settings.FIELD_KEY_PROVIDER != "local":
            return  # an HSM provider: /readyz reports the token (it may be unreachable at boot)
        try:
            load_keyring()
        except KeyRingError as exc:
            raise ConfigError(
                f"Field-encryption key ring unusable: {exc} "
                "(set FIELD_KEYS or FIELD_KEYS_FILE; for local development run `make bootstrap`)."
            ) from None
