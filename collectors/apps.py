from django.apps import AppConfig


class CollectorsConfig(AppConfig):
    name = "collectors"
    verbose_name = "Evidence collectors"
    default_auto_field = "django.db.models.BigAutoField"
