"""Beat jobs that keep the log partitions ahead of time and within the retention period."""

from __future__ import annotations

from celery import shared_task
from django.conf import settings

from database import partitions


@shared_task(name="database.log_partitions_ensure", ignore_result=True)
def log_partitions_ensure() -> list[str]:
    return partitions.log_partitions_ensure(months_ahead=settings.ZZYRA_LOG_PARTITIONS_AHEAD)


@shared_task(name="database.log_partitions_prune", ignore_result=True)
def log_partitions_prune() -> list[str]:
    return partitions.log_partitions_prune(retention_days=settings.ZZYRA_LOG_RETENTION_DAYS)
