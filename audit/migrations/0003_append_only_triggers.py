"""Append-only: triggers reject UPDATE, DELETE and TRUNCATE on audit events and checkpoints."""

from django.db import migrations

from audit import triggers


def forwards(apps, schema_editor):  # type: ignore[no-untyped-def]
    triggers.install(schema_editor.connection, triggers.FIRST_TABLES)


def backwards(apps, schema_editor):  # type: ignore[no-untyped-def]
    triggers.uninstall(schema_editor.connection, triggers.FIRST_TABLES)


class Migration(migrations.Migration):
    dependencies = [("audit", "0002_checkpoint")]

    operations = [migrations.RunPython(forwards, backwards)]
