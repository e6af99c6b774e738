"""Registers the periodic maintenance jobs with django-celery-beat, idempotently.

Jobs are rows in the database scheduler, so operators see and edit them in the admin. Running
this again (every migrate) never duplicates them.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db.models.signals import post_migrate

PERIODIC_JOBS = {
    # name: (task, interval setting)
    "zzyra: relay unpublished node runs": ("executions.relay", "ZZYRA_RELAY_INTERVAL_SECONDS"),
    "zzyra: sweep stale running nodes": ("executions.sweep", "ZZYRA_SWEEP_INTERVAL_SECONDS"),
}


def register_periodic_jobs(**_: Any) -> None:
    for name, (task, interval_setting) in PERIODIC_JOBS.items():
        interval_job_register(name, task, int(getattr(settings, interval_setting)))


def interval_job_register(
    name: str, task: str, every_seconds: int, *, expire_seconds: int | None = None
) -> None:
    """One job every `every_seconds` on the maintenance queue, unless a job of that name exists:
    get_or_create, not update_or_create, so an operator's edits in the admin stay."""
    from django_celery_beat.models import IntervalSchedule, PeriodicTask

    schedule, _ = IntervalSchedule.objects.get_or_create(
        every=every_seconds, period=IntervalSchedule.SECONDS
    )
    PeriodicTask.objects.get_or_create(
        name=name,
        defaults={
            "task": task,
            "interval": schedule,
            "queue": "maintenance",
            "expire_seconds": expire_seconds,
        },
    )


def connect(sender: Any) -> None:
    post_migrate.connect(
        register_periodic_jobs, sender=sender, dispatch_uid="zzyra.register_periodic_jobs"
    )
