"""Use cases that write the ledger: starting an execution, relaying unpublished runs."""

from __future__ import annotations

import logging
import uuid
from typing import Any

from django.conf import settings
from django.db import transaction
from psycopg.types.json import Jsonb

from audit.models import AuditAction
from audit.services import audit_record
from database.acting import acting_user_of_execution
from database.roles import maintenance_role
from executions import sqlfile, transitions
from executions.dispatch import NodeRun, dispatcher, publish_on_commit
from executions.exceptions import (
    ExecutionAlreadyFinished,
    IdempotencyKeyReused,
    WorkflowHasNoVersion,
)
from executions.models import (
    ExecutionStatus,
    WorkflowExecution,
)
from executions.plans import plan_get
from workflows.models import Workflow, WorkflowVersion

logger = logging.getLogger("zzyra.executions")


def execution_start(
    *,
    owner_id: int,
    workflow: Workflow,
    version: WorkflowVersion | None = None,
    input: Any = None,
    idempotency_key: str | None = None,
    trigger: str = "api",
) -> tuple[WorkflowExecution, bool]:
    """Write the execution, its node rows, its first log line and its audit record in one
    transaction; publish the roots after commit.

    Returns (execution, created). The same idempotency key twice returns the first execution,
    also when two starts race: the second waits on the key's unique index, then finds the
    first. This is the hot path of every start, so it is a few statements of plain SQL.
    `version` is the workflow's newest, when the caller has already read it.
    """
    if version is None:
        version = workflow.versions.order_by("-number").only("id", "number").first()
    if version is None:
        raise WorkflowHasNoVersion(f"workflow {workflow.name!r} has no saved graph")
    plan = plan_get(version.id)
    execution = WorkflowExecution(
        id=uuid.uuid4(),
        owner_id=owner_id,
        workflow_id=workflow.id,
        version_id=version.id,
        status=ExecutionStatus.PENDING,
        input=input if input is not None else {},
        trigger=trigger,
        idempotency_key=idempotency_key or None,
    )
    # No savepoint: inside a request's transaction any error here fails the whole request.
    with transaction.atomic(savepoint=False):
        inserted = sqlfile.fetch_one(
            "execution_insert",
            execution_id=execution.id,
            owner_id=owner_id,
            workflow_id=workflow.id,
            version_id=version.id,
            input=Jsonb(execution.input),
            trigger=trigger,
            idempotency_key=execution.idempotency_key,
        )
        if inserted is None:
            return _execution_for_key(owner_id, str(idempotency_key), workflow), False
        nodes = plan.nodes.values()
        stale_limits = settings.ZZYRA_STALE_SECONDS_BY_TYPE
        sqlfile.execute(
            "execution_nodes_insert",
            execution_id=execution.id,
            node_ids=[node.id for node in nodes],
            node_types=[node.type.name for node in nodes],
            queues=[node.type.queue for node in nodes],
            max_attempts=[node.retry.max_attempts for node in nodes],
            join_modes=[node.join for node in nodes],
            parents=[len(node.parents) for node in nodes],
            stale_after_seconds=[
                stale_limits.get(node.type.name, settings.ZZYRA_STALE_SECONDS) for node in nodes
            ],
            message=f"started {workflow.name!r} v{version.number} by {trigger}",
        )
        audit_record(
            action=AuditAction.EXECUTION_START,
            actor_id=owner_id,
            subject_user_id=owner_id,
            target_type="execution",
            target_id=execution.id,
            detail={"workflow": str(workflow.id), "trigger": trigger},
        )
        publish_on_commit(
            [
                NodeRun(str(execution.id), root, 1, plan.nodes[root].type.queue)
                for root in plan.roots
            ]
        )
    execution.created_at = inserted[0]
    execution._state.adding = False  # a row in the database now, as if loaded from it
    return execution, True


def _execution_for_key(owner_id: int, key: str, workflow: Workflow) -> WorkflowExecution:
    existing = WorkflowExecution.objects.get(owner_id=owner_id, idempotency_key=key)
    if existing.workflow_id != workflow.id:
        raise IdempotencyKeyReused(
            f"Idempotency-Key {key!r} already started an execution of another workflow"
        )
    return existing


def execution_cancel(*, execution_id: Any, actor_id: int | None) -> str:
    """Cancel a run: nothing new starts, running nodes abort (HTTP calls are cut off), and the
    execution ends as `cancelled`. Returns its status now (it may still be stopping)."""
    version_id = WorkflowExecution.objects.values_list("version_id", flat=True).get(id=execution_id)
    plan = plan_get(version_id)
    with transaction.atomic():
        completion = transitions.execution_cancel(
            plan=plan, execution_id=str(execution_id), actor_id=actor_id
        )
        if completion is not None:
            audit_record(
                action=AuditAction.EXECUTION_CANCEL,
                actor_id=actor_id,
                target_type="execution",
                target_id=execution_id,
            )
    if completion is None:
        status = WorkflowExecution.objects.values_list("status", flat=True).get(id=execution_id)
        raise ExecutionAlreadyFinished(f"execution {execution_id} already ended as {status}")
    return completion.finalized_status or ExecutionStatus.RUNNING


def nodes_relay(*, grace_seconds: int, republish_after_seconds: int, limit: int = 500) -> int:
    """Publish again the ready nodes due for `grace_seconds` that nobody claimed (DESIGN.md
    invariant 3): a crash between commit and publish, the broker down at the time, or a
    message lost. Each is relayed at most once per `republish_after_seconds`, so a queue
    backlog is not flooded; a run the broker refused is released for the next pass.

    Publishing twice is harmless: the claim is a compare-and-set on the attempt.
    """
    with transaction.atomic(), maintenance_role():  # every tenant's nodes
        rows = sqlfile.fetch_all(
            "nodes_relay_take",
            grace_seconds=grace_seconds,
            period_seconds=republish_after_seconds,
            limit=limit,
        )
    runs = [
        NodeRun(str(execution_id), node_id, attempt, queue, due_at)
        for execution_id, node_id, attempt, queue, due_at in rows
    ]
    if not runs:
        return 0
    logger.info("relay: publishing %d ready node runs nobody claimed", len(runs))
    refused = dispatcher().publish(runs)
    if refused:
        with transaction.atomic(), maintenance_role():
            sqlfile.execute(
                "nodes_relay_release",
                execution_ids=[run.execution_id for run in refused],
                node_ids=[run.node_id for run in refused],
                attempts=[run.attempt for run in refused],
            )
    return len(runs) - len(refused)


def nodes_sweep(*, limit: int = 200) -> int:
    """Take back running nodes whose heartbeat is older than their stale limit: each becomes
    a new attempt, or fails when its attempts are spent (DESIGN.md invariant 5).

    Each node is handled in its own transaction holding its row lock (SKIP LOCKED), so two
    sweepers racing share the work and never take back the same attempt twice.
    """
    swept = 0
    while swept < limit:
        with transaction.atomic():
            with maintenance_role():  # finds any tenant's stale node, and locks it
                rows = sqlfile.fetch_all("nodes_stale", limit=1)
            if not rows:
                break
            node_execution_id, execution_id, node_id, attempt, max_attempts, queue, heartbeat_at = (
                rows[0]
            )
            # The take-back itself runs as the owner's transaction, exactly as a worker's would.
            acting_user_of_execution(execution_id)
            version_id = WorkflowExecution.objects.values_list("version_id", flat=True).get(
                id=execution_id
            )
            reason = f"worker lost: no heartbeat since {heartbeat_at.isoformat()}"
            completion = transitions.node_take_back(
                plan=plan_get(version_id),
                execution_id=str(execution_id),
                node_id=node_id,
                node_execution_id=node_execution_id,
                attempt=attempt,
                max_attempts=max_attempts,
                queue=queue,
                reason=reason,
            )
            logger.warning(
                "sweeper: node %s:%s attempt %s %s (%s)",
                execution_id,
                node_id,
                attempt,
                completion.outcome,
                reason,
            )
            publish_on_commit(completion.runs)
        swept += 1
    return swept
