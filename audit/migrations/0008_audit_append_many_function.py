"""PostgreSQL only: `audit_append_many`, a run of one chain's events in one round trip
(audit/append_many_sql.py; the column list comes from the model, as for `audit_append`)."""

from django.db import migrations

from audit import append_many_sql


def forwards(apps, schema_editor):  # type: ignore[no-untyped-def]
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(append_many_sql.DROP_FUNCTION)
        schema_editor.execute(append_many_sql.create_function())


def backwards(apps, schema_editor):  # type: ignore[no-untyped-def]
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(append_many_sql.DROP_FUNCTION)


class Migration(migrations.Migration):
    dependencies = [("audit", "0007_owner_visibility")]

    operations = [migrations.RunPython(forwards, backwards)]
