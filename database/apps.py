from django.apps import AppConfig


class DatabaseConfig(AppConfig):
    name = "database"
    label = "database"
    verbose_name = "Database guarantees"

    def ready(self) -> None:
        # Importing the tasks registers them with Celery (zzyra.celery autodiscovers by list).
        from database import schedule, tasks  # noqa: F401

        schedule.connect(sender=self)
