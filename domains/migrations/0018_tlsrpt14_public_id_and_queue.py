"""TLS reports get an opaque public id (a UUID) for the API and the pages instead of the
service-wide counter, and ``processed_at``: the intake stores the report and answers, a worker
writes its details and aggregates (every report stored before this is processed already);
the failure details' copied-in report and domain lose their database constraints, the domain
its own index too (COPY speed)."""

import uuid

import django.db.models.deletion
from django.db import migrations, models
from django.db.backends.base.schema import BaseDatabaseSchemaEditor
from django.db.migrations.state import StateApps


def give_each_report_its_own_id(apps: StateApps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    """Existing reports: one new UUID each (the column's default would give them all the same),
    and marked processed (they were stored with their details in one transaction)."""
    tls_report = apps.get_model("domains", "TlsReport")
    for report in tls_report.objects.filter(public_id__isnull=True).only("pk").iterator():
        tls_report.objects.filter(pk=report.pk).update(
            public_id=uuid.uuid4(), processed_at=models.F("received_at")
        )


class Migration(migrations.Migration):
    dependencies = [("domains", "0017_ui12_checkrun_mx_ttl")]

    operations = [
        migrations.AddField(
            model_name="tlsreport",
            name="public_id",
            field=models.UUIDField(editable=False, null=True),
        ),
        migrations.AddField(
            model_name="tlsreport",
            name="processed_at",
            field=models.DateTimeField(
                blank=True, help_text="When its details and aggregates were written.", null=True
            ),
        ),
        migrations.RunPython(give_each_report_its_own_id, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="tlsreport",
            name="public_id",
            field=models.UUIDField(default=uuid.uuid4, editable=False, unique=True),
        ),
        migrations.AddIndex(
            model_name="tlsreport",
            index=models.Index(
                condition=models.Q(processed_at__isnull=True),
                fields=["id"],
                name="tlsreport_pending",
            ),
        ),
        migrations.AlterField(
            model_name="tlsfailuredetail",
            name="domain",
            field=models.ForeignKey(
                db_constraint=False,
                db_index=False,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="+",
                to="domains.accepteddomain",
            ),
        ),
        migrations.AlterField(
            model_name="tlsfailuredetail",
            name="report",
            field=models.ForeignKey(
                db_constraint=False,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="failure_details",
                to="domains.tlsreport",
            ),
        ),
    ]
