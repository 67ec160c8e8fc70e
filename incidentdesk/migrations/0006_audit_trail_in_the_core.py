"""The audit trail moved from approvals to the core; its tables keep their names, so only the
state moves."""
import incidentdesk.clock
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('incidentdesk', '0005_drop_collection_vendor'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name='AuditCheck',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('started_at', models.DateTimeField(default=incidentdesk.clock.now)),
                        ('finished_at', models.DateTimeField(blank=True, null=True)),
                        ('ok', models.BooleanField(default=False)),
                        ('checked', models.PositiveBigIntegerField(default=0, help_text='Entries found intact')),
                        ('through_seq', models.PositiveBigIntegerField(default=0, help_text='Last entry found intact')),
                        ('through_hash', models.CharField(default='0000000000000000000000000000000000000000000000000000000000000000', max_length=64)),
                        ('broken_seq', models.PositiveBigIntegerField(blank=True, null=True)),
                        ('problem', models.CharField(blank=True, max_length=200)),
                        ('seal', models.CharField(blank=True, help_text='HMAC of through_seq and through_hash with AUDIT_ANCHOR_KEY, when set', max_length=64)),
                    ],
                    options={
                        'db_table': 'approvals_auditcheck',
                        'ordering': ['-finished_at'],
                        'get_latest_by': 'finished_at',
                    },
                ),
                migrations.CreateModel(
                    name='AuditEntry',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('seq', models.PositiveBigIntegerField(unique=True)),
                        ('at', models.DateTimeField(db_index=True, default=incidentdesk.clock.now)),
                        ('actor', models.CharField(help_text="username, or 'desk' for the desk itself", max_length=150)),
                        ('action', models.CharField(db_index=True, max_length=60)),
                        ('run_id', models.BigIntegerField(blank=True, db_index=True, null=True)),
                        ('service', models.CharField(blank=True, db_index=True, max_length=150)),
                        ('detail', models.JSONField(default=dict)),
                        ('touches_customer_data', models.BooleanField(default=False)),
                        ('prev_hash', models.CharField(max_length=64)),
                        ('hash', models.CharField(max_length=64)),
                    ],
                    options={
                        'verbose_name_plural': 'audit entries',
                        'db_table': 'approvals_auditentry',
                        'ordering': ['seq'],
                    },
                ),
                migrations.CreateModel(
                    name='AuditHead',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('seq', models.PositiveBigIntegerField(default=0)),
                        ('hash', models.CharField(default='0000000000000000000000000000000000000000000000000000000000000000', max_length=64)),
                    ],
                    options={
                        'db_table': 'approvals_audithead',
                    },
                ),
            ],
            database_operations=[],
        ),
    ]
