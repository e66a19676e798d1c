"""TOTP seeds are sealed under the KEK ring instead of stored in clear."""

from django.db import migrations, models


def seal_existing(apps, schema_editor):  # type: ignore[no-untyped-def]
    from crypto.platform_secrets import seal_secret

    User = apps.get_model("accounts", "User")
    for user in User.objects.exclude(totp_secret=""):
        key_id, sealed = seal_secret(
            user.totp_secret, purpose="accounts|totp-seed", ad=f"totp|{user.pk}".encode()
        )
        User.objects.filter(pk=user.pk).update(totp_key_id=key_id, totp_sealed=sealed)


class Migration(migrations.Migration):
    dependencies = [("accounts", "0001_initial")]

    operations = [
        migrations.AddField(
            model_name="user",
            name="totp_key_id",
            field=models.CharField(blank=True, max_length=64),
        ),
        migrations.AddField(
            model_name="user",
            name="totp_sealed",
            field=models.BinaryField(blank=True, null=True),
        ),
        migrations.RunPython(seal_existing, migrations.RunPython.noop),
        migrations.RemoveField(model_name="user", name="totp_secret"),
    ]
