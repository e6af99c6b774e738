"""Celery entry points of the pause ledger: each calls one service."""

from __future__ import annotations

from celery import shared_task
from django.db import close_old_connections

from pauses import services


@shared_task(name="pauses.scan", ignore_result=True)
def scan() -> int:
    """Beat's job, every ZZYRA_PAUSE_SCAN_INTERVAL_SECONDS: resume due timers and expiries."""
    close_old_connections()  # drop a connection broken by a database restart
    return services.pauses_resume_due()


@shared_task(name="pauses.resume_due", ignore_result=True)
def resume_due(pause_id: int) -> bool:
    """A short timer's countdown: an optimisation over the scan, which stays the truth."""
    close_old_connections()
    return services.pause_resume_if_due(pause_id=pause_id)
