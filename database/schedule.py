"""Registers the database's nightly jobs with django-celery-beat, idempotently (every migrate).

They run on the maintenance queue at quiet hours in UTC; an operator's edits in the admin stay.
"""

from __future__ import annotations

from typing import Any

from django.db.models.signals import post_migrate

NIGHTLY_JOBS = {
    # name: (task, hour, minute)
    "zzyra: create log partitions ahead": ("database.log_partitions_ensure", 0, 10),
    "zzyra: drop log partitions past retention": ("database.log_partitions_prune", 0, 20),
    "zzyra: prune execution payloads past retention": ("executions.payloads_prune", 0, 30),
}


def register_nightly_jobs(jobs: dict[str, tuple[str, int, int]]) -> None:
    from django_celery_beat.models import CrontabSchedule, PeriodicTask

    for name, (task, hour, minute) in jobs.items():
        schedule, _ = CrontabSchedule.objects.get_or_create(
            minute=str(minute),
            hour=str(hour),
            day_of_week="*",
            day_of_month="*",
            month_of_year="*",
            timezone="UTC",
        )
        PeriodicTask.objects.get_or_create(
            name=name, defaults={"task": task, "crontab": schedule, "queue": "maintenance"}
        )


def _register(**_: Any) -> None:
    register_nightly_jobs(NIGHTLY_JOBS)


def connect(sender: Any) -> None:
    post_migrate.connect(_register, sender=sender, dispatch_uid="zzyra.database.nightly_jobs")
