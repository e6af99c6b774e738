"""Registers the pause scan with django-celery-beat, idempotently (like executions.schedule).

The scan runs every second by default, so a delay fires within about two seconds of its due
time. Its messages expire quickly: while workers are down, beat must not pile up a backlog of
scans that would all run at once when they come back; one scan after a restart catches up.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db.models.signals import post_migrate

from executions.schedule import interval_job_register

SCAN_JOB = "zzyra: resume due pauses"
SCAN_TASK = "pauses.scan"


def register_pause_scan(**_: Any) -> None:
    every = int(settings.ZZYRA_PAUSE_SCAN_INTERVAL_SECONDS)
    interval_job_register(SCAN_JOB, SCAN_TASK, every, expire_seconds=max(5, every * 5))


def connect(sender: Any) -> None:
    post_migrate.connect(
        register_pause_scan, sender=sender, dispatch_uid="zzyra.register_pause_scan"
    )
