from django.apps import AppConfig


class IncidentDeskConfig(AppConfig):
    name = "incidentdesk"
    verbose_name = "Incident desk"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from incidentdesk import checks  # noqa: F401 - registers the policy file check
