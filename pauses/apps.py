from django.apps import AppConfig


class PausesConfig(AppConfig):
    name = "pauses"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from pauses import schedule

        schedule.connect(sender=self)
