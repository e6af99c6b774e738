from django.apps import AppConfig
from django.db.backends.signals import connection_created


class DatabaseConfig(AppConfig):
    name = "database"
    label = "database"
    verbose_name = "Database guarantees"

    def ready(self) -> None:
        # Importing the tasks registers them with Celery (zzyra.celery autodiscovers by list).
        from database import roles, schedule, tasks  # noqa: F401

        schedule.connect(sender=self)
        # Every new connection drops to the application role (database/roles.py).
        connection_created.connect(roles.on_connection_created, dispatch_uid="zzyra.app_role")
