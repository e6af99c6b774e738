"""Beat job: export yesterday's audit trail."""

from __future__ import annotations

from datetime import timedelta

from celery import shared_task
from django.utils import timezone

from audit.export import audit_export_day


@shared_task(name="audit.export_previous_day", ignore_result=True)
def export_previous_day() -> str:
    return audit_export_day(day=timezone.now().date() - timedelta(days=1)).name
