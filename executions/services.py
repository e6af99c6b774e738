"""Use cases that write the ledger: starting an execution, relaying unpublished runs."""

from __future__ import annotations

import logging
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from executions import sqlfile
from executions.dispatch import NodeRun, dispatcher
from executions.exceptions import IdempotencyKeyReused, WorkflowHasNoVersion
from executions.models import (
    ExecutionLog,
    ExecutionStatus,
    NodeExecution,
    NodeStatus,
    WorkflowExecution,
)
from executions.plans import plan_get
from workflows.models import Workflow

logger = logging.getLogger("zzyra.executions")


def execution_start(
    *,
    owner_id: int,
    workflow: Workflow,
    input: Any = None,
    idempotency_key: str | None = None,
    trigger: str = "api",
) -> tuple[WorkflowExecution, bool]:
    """Write the execution and its node rows in one transaction; publish roots after commit.

    Returns (execution, created). The same idempotency key twice returns the first execution.
    """
    version = workflow.versions.order_by("-number").only("id", "number").first()
    if version is None:
        raise WorkflowHasNoVersion(f"workflow {workflow.name!r} has no saved graph")
    plan = plan_get(version.id)
    if idempotency_key:
        existing = _execution_for_key(owner_id, idempotency_key, workflow)
        if existing is not None:
            return existing, False
    now = timezone.now()
    try:
        with transaction.atomic():
            execution = WorkflowExecution.objects.create(
                owner_id=owner_id,
                workflow=workflow,
                version_id=version.id,
                status=ExecutionStatus.PENDING,
                input=input if input is not None else {},
                trigger=trigger,
                idempotency_key=idempotency_key or None,
            )
            NodeExecution.objects.bulk_create(
                NodeExecution(
                    execution=execution,
                    node_id=node_id,
                    node_type=node.type.name,
                    queue=node.type.queue,
                    status=NodeStatus.READY if not node.parents else NodeStatus.PENDING,
                    next_attempt_at=now if not node.parents else None,
                    max_attempts=node.retry.max_attempts,
                    join_mode=node.join,
                    unfinished_parents=len(node.parents),
                )
                for node_id, node in plan.nodes.items()
            )
            ExecutionLog.objects.create(
                execution=execution,
                event="execution_started",
                message=f"started {workflow.name!r} v{version.number} by {trigger}",
            )
            runs = [
                NodeRun(str(execution.id), root, 1, plan.nodes[root].type.queue)
                for root in plan.roots
            ]
            transaction.on_commit(lambda: dispatcher().publish(runs))
    except IntegrityError:
        # Two starts raced with the same key: the other one won, return its execution.
        if idempotency_key:
            existing = _execution_for_key(owner_id, idempotency_key, workflow)
            if existing is not None:
                return existing, False
        raise
    return execution, True


def _execution_for_key(owner_id: int, key: str, workflow: Workflow) -> WorkflowExecution | None:
    existing = WorkflowExecution.objects.filter(owner_id=owner_id, idempotency_key=key).first()
    if existing is not None and existing.workflow_id != workflow.id:
        raise IdempotencyKeyReused(
            f"Idempotency-Key {key!r} already started an execution of another workflow"
        )
    return existing


def nodes_relay(*, grace_seconds: int, limit: int = 500) -> int:
    """Publish ready nodes whose message was never confirmed (DESIGN.md invariant 3).

    Publishing twice is harmless: the claim is a compare-and-set on the attempt.
    """
    rows = sqlfile.fetch_all("nodes_unpublished", grace_seconds=grace_seconds, limit=limit)
    runs = [
        NodeRun(str(execution_id), node_id, attempt, queue, due_at)
        for execution_id, node_id, attempt, queue, due_at in rows
    ]
    if runs:
        logger.info("relay: publishing %d ready node runs that were never published", len(runs))
        dispatcher().publish(runs)
    return len(runs)
