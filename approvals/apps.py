from django.apps import AppConfig

from incidentdesk.signals import packet_stored


class ApprovalsConfig(AppConfig):
    name = "approvals"
    verbose_name = "Approvals"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # The checks register themselves; the tasks, so that a web process can enqueue them by name.
        from approvals import checks, receivers, tasks  # noqa: F401
        packet_stored.connect(receivers.packet_stored, dispatch_uid="approvals.proposals_sync")
