"""Owner visibility: each event names the agency that owns its data and, for a sent referral,
the recipient sharing it (audit/owner.py). PostgreSQL: `audit_append` is rebuilt from the model
with the two new columns (the old signature is dropped first: no stale overload remains)."""

from django.db import migrations, models

from audit import append_sql, triggers


def forwards(apps, schema_editor):  # type: ignore[no-untyped-def]
    triggers.install(schema_editor.connection)  # in case SQLite rebuilt the table
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(append_sql.DROP_FUNCTION)
        schema_editor.execute(append_sql.create_function())


class Migration(migrations.Migration):
    dependencies = [("audit", "0006_integrity")]

    operations = [
        migrations.AddField(
            model_name="auditevent",
            name="shared_agency_id",
            field=models.UUIDField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="auditevent",
            name="subject_agency_id",
            field=models.UUIDField(blank=True, null=True),
        ),
        migrations.AddIndex(
            model_name="auditevent",
            index=models.Index(fields=["subject_agency_id", "id"], name="audit_subject_agency_idx"),
        ),
        migrations.AddIndex(
            model_name="auditevent",
            index=models.Index(fields=["shared_agency_id", "id"], name="audit_shared_agency_idx"),
        ),
        migrations.RunPython(forwards, migrations.RunPython.noop),
    ]
