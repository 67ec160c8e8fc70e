from django.apps import AppConfig

from incidentdesk.action_labels import action_labels_register
from incidentdesk.signals import packet_stored


class ApprovalsConfig(AppConfig):
    name = "approvals"
    verbose_name = "Approvals"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # The checks register themselves; the tasks, so that a web process can enqueue them by name.
        from approvals import actions, checks, receivers, tasks  # noqa: F401
        action_labels_register({spec.name: spec.label for spec in actions.SPECS})
        packet_stored.connect(receivers.packet_stored, dispatch_uid="approvals.proposals_sync")
