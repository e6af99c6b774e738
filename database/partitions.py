"""Upkeep of the monthly log partitions: created ahead, dropped whole after the retention.

Logs are the ledger's largest tables and the only ones that grow without bound. Dropping a
month's partition is instant and leaves no bloat, where deleting old rows one by one would
scan, lock and vacuum; so retention is whole months, and a month is dropped only once all of
it is older than the retention period. A row written for a month with no partition is never
refused: it lands in the table's default partition, and the next `log_partitions_ensure` moves
it into a partition of its own.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone

from database.roles import maintenance_role
from database.sqlfile import sql

logger = logging.getLogger("zzyra.database")


def log_partitions_ensure(*, months_ahead: int) -> list[str]:
    """Creates the partitions of this month and the next `months_ahead` ones (and of any
    month with rows waiting in a default partition). Returns the partitions it created."""
    if months_ahead < 0:
        raise ValueError("months_ahead must be zero or more")
    with transaction.atomic(), maintenance_role():
        created = [
            row[0] for row in sql.fetch_all("log_partitions_ensure", months_ahead=months_ahead)
        ]
    if created:
        logger.info("log partitions created: %s", ", ".join(created))
    return created


def log_partitions_prune(*, retention_days: int, now: datetime | None = None) -> list[str]:
    """Drops the monthly partitions whose whole month is older than `retention_days`."""
    if retention_days < 1:
        raise ValueError("retention_days must be at least 1")
    cutoff = (now or timezone.now()) - timedelta(days=retention_days)
    with transaction.atomic(), maintenance_role():
        dropped = [row[0] for row in sql.fetch_all("log_partitions_drop_before", cutoff=cutoff)]
    if dropped:
        logger.info("log partitions dropped (older than %d days): %s", retention_days, dropped)
    return dropped
