from django.apps import AppConfig


class IncidentDeskConfig(AppConfig):
    name = "incidentdesk"
    verbose_name = "Incident desk"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # The checks register themselves; the tasks, so that a web process can enqueue them by name.
        from incidentdesk import checks, tasks  # noqa: F401
