"""PostgreSQL only: `audit_append` checks deferred foreign keys before taking the chain lock."""

from django.db import migrations

from audit import append_sql


def forwards(apps, schema_editor):  # type: ignore[no-untyped-def]
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(append_sql.CREATE_FUNCTION)


class Migration(migrations.Migration):
    dependencies = [("audit", "0004_audit_append_function")]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
