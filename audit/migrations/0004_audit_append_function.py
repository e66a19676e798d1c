"""PostgreSQL only: the one-round-trip `audit_append` function (see audit/append_sql.py)."""

from django.db import migrations

from audit import append_sql


def forwards(apps, schema_editor):  # type: ignore[no-untyped-def]
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(append_sql.CREATE_FUNCTION)


def backwards(apps, schema_editor):  # type: ignore[no-untyped-def]
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(append_sql.DROP_FUNCTION)


class Migration(migrations.Migration):
    dependencies = [("audit", "0003_append_only_triggers")]

    operations = [migrations.RunPython(forwards, backwards)]
