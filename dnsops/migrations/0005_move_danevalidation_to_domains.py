# DaneValidation now lives in the domains app (state only; the table stays, see
# domains/migrations/0007_danevalidation.py).

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('dnsops', '0004_danevalidation'),
        ('domains', '0007_danevalidation'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[],
            state_operations=[migrations.DeleteModel(name='DaneValidation')],
        ),
    ]
