"""Retention of execution payloads (ZZYRA_PAYLOAD_RETENTION_DAYS, default 90).

Finished executions older than the retention keep their record — statuses, attempts, timings,
errors — but lose their payloads: node inputs and outputs, the execution's input and output.
Logs have their own retention (whole monthly partitions, database/partitions.py). Runs as the
maintenance role through a SECURITY DEFINER function, in batches, so it never holds long locks;
two beats running it at once share the work (SKIP LOCKED).
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone

from database.roles import maintenance_role
from executions import sqlfile

logger = logging.getLogger("zzyra.retention")

BATCH = 500


def execution_payloads_prune(*, retention_days: int, now: datetime | None = None) -> int:
    """Prune every finished execution completed more than `retention_days` ago; returns how many."""
    if retention_days < 1:
        raise ValueError("retention_days must be at least 1")
    cutoff = (now or timezone.now()) - timedelta(days=retention_days)
    pruned = 0
    while True:
        with transaction.atomic(), maintenance_role():
            row = sqlfile.fetch_one("payloads_prune", cutoff=cutoff, batch=BATCH)
        batch = int(row[0]) if row else 0
        pruned += batch
        if batch < BATCH:
            break
    if pruned:
        logger.info("pruned the payloads of %d executions finished before %s", pruned, cutoff)
    return pruned
