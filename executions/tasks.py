"""Celery entry points: each loads by id and calls one service."""

from __future__ import annotations

import logging

from celery import shared_task
from django.conf import settings
from django.db import DatabaseError, close_old_connections

from executions import engine, retention, services

logger = logging.getLogger("zzyra.tasks")


@shared_task(name="executions.run_node", bind=True, max_retries=None)
def run_node(self, execution_id: str, node_id: str, attempt: int) -> str:  # type: ignore[no-untyped-def]
    close_old_connections()  # drop a connection broken by a database restart
    try:
        return engine.node_run(execution_id=execution_id, node_id=node_id, attempt=attempt)
    except DatabaseError as error:
        # The ledger is unreachable: try the same message again later instead of dropping it.
        logger.warning(
            "database unavailable for %s:%s:%s: %s", execution_id, node_id, attempt, error
        )
        raise self.retry(countdown=2, exc=error) from error


@shared_task(name="executions.relay", ignore_result=True)
def relay() -> int:
    return services.nodes_relay(
        grace_seconds=settings.ZZYRA_RELAY_GRACE_SECONDS,
        republish_after_seconds=settings.ZZYRA_REPUBLISH_AFTER_SECONDS,
    )


@shared_task(name="executions.payloads_prune", ignore_result=True)
def payloads_prune() -> int:
    return retention.execution_payloads_prune(retention_days=settings.ZZYRA_PAYLOAD_RETENTION_DAYS)


@shared_task(name="executions.sweep", ignore_result=True)
def sweep() -> int:
    return services.nodes_sweep()
