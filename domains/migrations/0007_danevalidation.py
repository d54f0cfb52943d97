# The outbound DANE validations belong to the product app (they hold a tenant): the model
# moves from dnsops to domains in the migration state only; the table (dnsops_danevalidation)
# and its rows stay where they are.

import uuid

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('dnsops', '0004_danevalidation'),
        ('domains', '0006_audit_actions_partition_and_members'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[],
            state_operations=[
                migrations.CreateModel(
                    name='DaneValidation',
                    fields=[
                        ('id', models.UUIDField(default=uuid.uuid4, editable=False, primary_key=True, serialize=False)),
                        ('domain', models.CharField(help_text='The destination, A-label form.', max_length=253)),
                        ('port', models.PositiveIntegerField(default=25)),
                        ('verdict', models.CharField(choices=[('pass', 'pass'), ('no-tlsa', 'no-tlsa'), ('dane-not-applicable', 'dane-not-applicable'), ('unauthenticated-tls', 'unauthenticated-tls'), ('starttls-not-supported', 'starttls-not-supported'), ('certificate-expired', 'certificate-expired'), ('tlsa-invalid', 'tlsa-invalid'), ('dnssec-invalid', 'dnssec-invalid'), ('certificate-host-mismatch', 'certificate-host-mismatch'), ('dns-query-failed', 'dns-query-failed'), ('host-not-found', 'host-not-found'), ('connection-failed', 'connection-failed'), ('null-mx', 'null-mx'), ('domain-not-found', 'domain-not-found')], max_length=32)),
                        ('disposition', models.CharField(choices=[('delivered', 'delivered'), ('deferred', 'deferred'), ('bounced', 'bounced')], max_length=16)),
                        ('status_code', models.CharField(blank=True, help_text='4.x.x / 5.x.x; empty when mail is delivered.', max_length=16)),
                        ('result', models.JSONField(help_text='The report: verdict, hosts, sessions and every step.')),
                        ('requested_by', models.CharField(help_text='api-key:<prefix>, user:<name>, cli.', max_length=200)),
                        ('started_at', models.DateTimeField()),
                        ('finished_at', models.DateTimeField()),
                        ('duration_ms', models.PositiveIntegerField()),
                        ('tenant', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.CASCADE, related_name='dane_validations', to='domains.tenant')),
                    ],
                    options={
                        'db_table': 'dnsops_danevalidation',
                        'ordering': ('-started_at',),
                        'indexes': [models.Index(fields=['tenant', '-started_at'], name='dane_validation_recent')],
                    },
                ),
            ],
        ),
    ]
