"""The audit trail moved from approvals to the core; its tables keep their names, so only the
state moves."""
from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('incidentdesk', '0006_audit_trail_in_the_core'),
        ('approvals', '0006_action_choices_from_registry'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.DeleteModel(
                    name='AuditCheck',
                ),
                migrations.DeleteModel(
                    name='AuditEntry',
                ),
                migrations.DeleteModel(
                    name='AuditHead',
                ),
            ],
            database_operations=[],
        ),
    ]
