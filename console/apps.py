from django.apps import AppConfig


class ConsoleConfig(AppConfig):
    """The people's web console at /app/: templates over the domain's services and reads."""

    name = "console"
    default_auto_field = "django.db.models.BigAutoField"
