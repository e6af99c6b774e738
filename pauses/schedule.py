"""Registers the pause scan with django-celery-beat, idempotently (like executions.schedule).

The scan runs every second by default, so a delay fires within about two seconds of its due
time. Its messages expire quickly: while workers are down, beat must not pile up a backlog of
scans that would all run at once when they come back; one scan after a restart catches up.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db.models.signals import post_migrate

SCAN_JOB = "zzyra: resume due pauses"
SCAN_TASK = "pauses.scan"


def register_pause_scan(**_: Any) -> None:
    from django_celery_beat.models import IntervalSchedule, PeriodicTask

    every = int(settings.ZZYRA_PAUSE_SCAN_INTERVAL_SECONDS)
    schedule, _ = IntervalSchedule.objects.get_or_create(
        every=every, period=IntervalSchedule.SECONDS
    )
    # get_or_create, not update_or_create: an operator's edits in the admin stay.
    PeriodicTask.objects.get_or_create(
        name=SCAN_JOB,
        defaults={
            "task": SCAN_TASK,
            "interval": schedule,
            "queue": "maintenance",
            "expire_seconds": max(5, every * 5),
        },
    )


def connect(sender: Any) -> None:
    post_migrate.connect(
        register_pause_scan, sender=sender, dispatch_uid="zzyra.register_pause_scan"
    )
