from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "audit"
    label = "audit"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Importing these connects the signal receivers and registers the Celery task.
        from audit import schedule, signals, tasks  # noqa: F401

        schedule.connect(sender=self)
