"""Check runs get an opaque public id (a UUID) for the API, instead of the service-wide counter."""

import uuid

from django.db import migrations, models
from django.db.backends.base.schema import BaseDatabaseSchemaEditor
from django.db.migrations.state import StateApps


def give_each_run_its_own_id(apps: StateApps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    """Existing runs: one new UUID each (the column's default would give them all the same)."""
    check_run = apps.get_model("domains", "CheckRun")
    for run in check_run.objects.filter(public_id__isnull=True).only("pk").iterator():
        check_run.objects.filter(pk=run.pk).update(public_id=uuid.uuid4())


class Migration(migrations.Migration):
    dependencies = [("domains", "0010_audit_actions_tlsrpt_and_members")]

    operations = [
        migrations.AddField(
            model_name="checkrun",
            name="public_id",
            field=models.UUIDField(editable=False, null=True),
        ),
        migrations.RunPython(give_each_run_its_own_id, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="checkrun",
            name="public_id",
            field=models.UUIDField(default=uuid.uuid4, editable=False, unique=True),
        ),
    ]
