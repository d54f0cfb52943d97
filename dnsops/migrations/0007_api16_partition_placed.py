"""Partition.placed: the count of domains placed on each partition, filled from the domains."""

from django.db import migrations, models
from django.db.backends.base.schema import BaseDatabaseSchemaEditor
from django.db.migrations.state import StateApps


def count_placed(apps: StateApps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    """Set each partition's counter to the domains that hold an MX token on it."""
    partition_model = apps.get_model("dnsops", "Partition")
    domain_model = apps.get_model("domains", "AcceptedDomain")
    for partition in partition_model.objects.all():
        placed = domain_model.objects.filter(partition=partition, mx_token__isnull=False).count()
        partition_model.objects.filter(pk=partition.pk).update(placed=placed)


class Migration(migrations.Migration):
    dependencies = [
        ("dnsops", "0006_partition_drift_clean"),
        ("domains", "0012_operator_permission"),
    ]

    operations = [
        migrations.AddField(
            model_name="partition",
            name="placed",
            field=models.PositiveIntegerField(
                default=0, editable=False, help_text="Domains placed on it (holding an MX token)."
            ),
        ),
        migrations.RunPython(count_placed, migrations.RunPython.noop),
    ]
