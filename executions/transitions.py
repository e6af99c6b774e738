"""The only code that changes a status, always by compare-and-set.

Each function runs inside the caller's transaction, updates only rows still in the expected
status and attempt, and returns what the caller must publish after commit. A second delivery
of the same message finds nothing to update and changes nothing (DESIGN.md invariants 2-3, 7).

Every function that finishes a node first locks the execution row, so concurrent completions
of one execution are serialised: exactly one of them sees "nothing left" and finalizes it, and
no child becomes ready after the execution has failed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from uuid import UUID

from django.db import connection
from psycopg.types.json import Jsonb

from executions import sqlfile
from executions.dispatch import NodeRun
from executions.models import (
    EXECUTION_TERMINAL,
    ExecutionLog,
    ExecutionStatus,
    LogLevel,
    NodeLog,
)
from workflows.graph import GraphPlan

# The handles a finished node fired: every out-edge, or none (the node was skipped).
ALL_EDGES = None
NO_EDGES: frozenset[str] = frozenset()


class TransactionRequired(RuntimeError):
    pass


@dataclass(frozen=True)
class Claim:
    node_execution_id: int
    execution_input: Any
    version_id: UUID


@dataclass
class Completion:
    """What a finishing transition did: `outcome` is succeeded, retrying, failed or stale."""

    outcome: str
    runs: list[NodeRun] = field(default_factory=list)
    finalized_status: str | None = None
    # The workflow_pauses row a pause transition opened or closed.
    pause_id: int | None = None


def _require_transaction() -> None:
    if not connection.in_atomic_block:
        raise TransactionRequired("transitions must run inside transaction.atomic()")


def node_claim(*, execution_id: str, node_id: str, attempt: int, worker: str) -> Claim | None:
    """ready -> running for exactly this attempt; None when the message is stale or a duplicate."""
    _require_transaction()
    row = sqlfile.fetch_one(
        "node_claim", execution_id=execution_id, node_id=node_id, attempt=attempt, worker=worker
    )
    if row is None:
        return None
    return Claim(node_execution_id=row[0], execution_input=row[1], version_id=row[2])


def execution_mark_running(*, execution_id: str) -> None:
    """pending -> running, when its first node is claimed."""
    _require_transaction()
    sqlfile.execute("execution_mark_running", execution_id=execution_id)


def node_record_input(
    *, node_execution_id: int, attempt: int, config: Any, parents: dict[str, Any]
) -> None:
    _require_transaction()
    sqlfile.execute(
        "node_input_insert",
        node_execution_id=node_execution_id,
        attempt=attempt,
        config=Jsonb(config),
        parents=Jsonb(parents),
    )


def node_succeed(
    *,
    plan: GraphPlan,
    execution_id: str,
    node_id: str,
    node_execution_id: int,
    attempt: int,
    output: Any,
    logs: Sequence[tuple[str, str]] = (),
) -> Completion:
    """running -> succeeded, with the output, branch decisions, skips and ready children."""
    _require_transaction()
    execution = _lock_execution(execution_id)
    if not sqlfile.fetch_one(
        "node_mark_succeeded", node_execution_id=node_execution_id, attempt=attempt
    ):
        return Completion("stale")
    sqlfile.execute(
        "node_output_insert",
        node_execution_id=node_execution_id,
        attempt=attempt,
        output=Jsonb(output),
    )
    _append_node_logs(execution_id, node_id, attempt, logs)
    fired = plan.nodes[node_id].type.fired_handles(output)
    runs = _settle_children(plan, execution_id, node_id, fired, stopping=execution.stopping)
    if runs:
        # Something became ready, so the run is neither finished nor only waiting: no need to
        # count what is left. Under an operator's hold it is published on resume instead.
        if execution.status == ExecutionStatus.PAUSED:
            runs = []
        return Completion("succeeded", runs=runs)
    finalized = _finalize_if_done(plan, execution_id, execution)
    if finalized is None:
        _mark_paused_if_only_waiting(execution_id)
    return Completion("succeeded", finalized_status=finalized)


def node_retry(
    *,
    execution_id: str,
    node_id: str,
    node_execution_id: int,
    attempt: int,
    queue: str,
    error: str,
    due_at: datetime,
    logs: Sequence[tuple[str, str]] = (),
) -> Completion | None:
    """running -> ready as the next attempt, due at `due_at`. None when the execution is
    stopping, so the caller ends the node instead of starting anything new."""
    _require_transaction()
    if _lock_execution(execution_id).stopping:
        return None
    row = sqlfile.fetch_one(
        "node_mark_retrying",
        node_execution_id=node_execution_id,
        attempt=attempt,
        next_attempt_at=due_at,
        error=error,
    )
    if row is None:
        return Completion("stale")
    _append_node_logs(
        execution_id,
        node_id,
        attempt,
        [*logs, (LogLevel.WARNING, f"attempt {attempt} failed: {error}")],
    )
    _log(
        execution_id,
        LogLevel.WARNING,
        "node_retry",
        f"node {node_id!r} attempt {attempt} failed, attempt {row[0]} "
        f"due at {due_at.isoformat()}: {error}",
    )
    return Completion("retrying", runs=[NodeRun(execution_id, node_id, row[0], queue, due_at)])


def node_fail(
    *,
    plan: GraphPlan,
    execution_id: str,
    node_id: str,
    node_execution_id: int,
    attempt: int,
    error: str,
    logs: Sequence[tuple[str, str]] = (),
) -> Completion:
    """running -> failed for good: the execution fails, nothing new starts, running branches
    finish and are recorded, and the execution ends when the last of them does."""
    _require_transaction()
    execution = _lock_execution(execution_id)
    if not sqlfile.fetch_one(
        "node_mark_failed", node_execution_id=node_execution_id, attempt=attempt, error=error
    ):
        return Completion("stale")
    message = (
        f"node {node_id!r} failed after {attempt} attempt{'s' if attempt > 1 else ''}: {error}"
    )
    finalized = _fail_execution(
        plan, execution_id, execution, node_id, attempt, message, [*logs, (LogLevel.ERROR, error)]
    )
    return Completion("failed", finalized_status=finalized)


def node_cancel(
    *,
    plan: GraphPlan,
    execution_id: str,
    node_id: str,
    node_execution_id: int,
    attempt: int,
    error: str,
    logs: Sequence[tuple[str, str]] = (),
) -> Completion:
    """running -> cancelled: the attempt was aborted because its execution was cancelled."""
    _require_transaction()
    execution = _lock_execution(execution_id)
    if not sqlfile.fetch_one(
        "node_mark_cancelled", node_execution_id=node_execution_id, attempt=attempt, error=error
    ):
        return Completion("stale")
    _append_node_logs(execution_id, node_id, attempt, [*logs, (LogLevel.WARNING, error)])
    return Completion(
        "cancelled", finalized_status=_finalize_if_done(plan, execution_id, execution)
    )


def node_take_back(
    *,
    plan: GraphPlan,
    execution_id: str,
    node_id: str,
    node_execution_id: int,
    attempt: int,
    max_attempts: int,
    queue: str,
    reason: str,
) -> Completion:
    """The sweeper's move for a node whose worker was lost: the next attempt, or failure when
    its attempts are spent. A late result from the lost attempt then matches nothing."""
    _require_transaction()
    execution = _lock_execution(execution_id)
    common: dict[str, Any] = {
        "plan": plan,
        "execution_id": execution_id,
        "node_id": node_id,
        "node_execution_id": node_execution_id,
        "attempt": attempt,
    }
    if execution.cancel_requested:
        return node_cancel(error=f"cancelled; {reason}", **common)
    if attempt >= max_attempts or execution.stopping:
        return node_fail(error=f"{reason}; no attempts left", **common)
    row = sqlfile.fetch_one(
        "node_take_back", node_execution_id=node_execution_id, attempt=attempt, error=reason
    )
    if row is None:
        return Completion("stale")
    _log(
        execution_id,
        LogLevel.WARNING,
        "node_taken_back",
        f"node {node_id!r} attempt {attempt} taken back ({reason}); attempt {row[0]} is due now",
    )
    return Completion("retrying", runs=[NodeRun(execution_id, node_id, row[0], queue)])


def execution_cancel(
    *, plan: GraphPlan, execution_id: str, actor_id: int | None
) -> Completion | None:
    """Request cancellation: waiting nodes are cancelled now, running ones abort and report,
    and the execution ends as `cancelled` once the last of them has stopped. None when the
    execution has already ended."""
    _require_transaction()
    _lock_execution(execution_id)
    if (
        sqlfile.fetch_one("execution_request_cancel", execution_id=execution_id, actor_id=actor_id)
        is None
    ):
        return None
    _cancel_waiting(execution_id)
    _log(execution_id, LogLevel.WARNING, "execution_cancel", "cancellation requested")
    execution = _lock_execution(execution_id)
    return Completion(
        "cancelled", finalized_status=_finalize_if_done(plan, execution_id, execution)
    )


@dataclass(frozen=True)
class LockedExecution:
    status: str
    error: str
    cancel_requested: bool

    @property
    def stopping(self) -> bool:
        """Nothing new may start: the execution failed, was cancelled or has ended."""
        return bool(self.error) or self.cancel_requested or self.status in EXECUTION_TERMINAL


def _cancel_waiting(execution_id: str, node_ids: list[str] | None = None) -> None:
    """Nothing new starts: waiting nodes (all, or these) are cancelled and their pauses closed."""
    sqlfile.execute("nodes_cancel_waiting", execution_id=execution_id, node_ids=node_ids)
    sqlfile.execute("pauses_close_cancelled", execution_id=execution_id)


def _fail_execution(
    plan: GraphPlan,
    execution_id: str,
    execution: LockedExecution,
    node_id: str,
    attempt: int,
    message: str,
    logs: Sequence[tuple[str, str]],
) -> str | None:
    """A node failed for good: the execution records why, nothing new starts, and it ends once
    its running branches have. Returns the final status if it ended now."""
    _append_node_logs(execution_id, node_id, attempt, logs)
    sqlfile.execute("execution_record_failure", execution_id=execution_id, error=message)
    _cancel_waiting(execution_id)
    _log(execution_id, LogLevel.ERROR, "node_failed", message)
    failing = LockedExecution(
        execution.status, execution.error or message, execution.cancel_requested
    )
    return _finalize_if_done(plan, execution_id, failing)


def _lock_execution(execution_id: str) -> LockedExecution:
    row = sqlfile.fetch_one("execution_lock", execution_id=execution_id)
    if row is None:
        raise LookupError(f"execution {execution_id} does not exist")
    return LockedExecution(status=row[0], error=row[1], cancel_requested=row[2])


def _log(execution_id: str, level: str, event: str, message: str) -> None:
    ExecutionLog.objects.create(
        execution_id=execution_id, level=level, event=event, message=message
    )


def _edge_fires(edge_handles: frozenset[str | None], fired: frozenset[str | None] | None) -> bool:
    """`fired` lists the handles that fire; None in it stands for edges without a handle."""
    if fired is ALL_EDGES:
        return True
    return any(handle in fired for handle in edge_handles)


def _settle_children(
    plan: GraphPlan,
    execution_id: str,
    node_id: str,
    fired: frozenset[str | None] | None,
    *,
    stopping: bool,
) -> list[NodeRun]:
    """Count this parent as done for each child; children whose join is decided become
    ready or skipped, and a skip counts as a finished, non-firing parent further down."""
    runs: list[NodeRun] = []
    frontier: list[tuple[str, frozenset[str | None] | None]] = [(node_id, fired)]
    while frontier:
        parent, parent_fired = frontier.pop()
        children = plan.nodes[parent].children
        if not children:
            continue
        rows = sqlfile.fetch_all(
            "children_count_parent",
            execution_id=execution_id,
            node_ids=list(children),
            fired=[int(_edge_fires(handles, parent_fired)) for handles in children.values()],
        )
        to_ready: list[str] = []
        to_skip: list[str] = []
        for child, unfinished, fired_count, join in rows:
            if fired_count > 0 and (join == "any" or unfinished == 0):
                to_ready.append(child)
            elif unfinished == 0:
                to_skip.append(child)
        if to_skip:
            sqlfile.execute("nodes_mark_skipped", execution_id=execution_id, node_ids=to_skip)
            frontier.extend((child, NO_EDGES) for child in to_skip)
        if to_ready and stopping:
            sqlfile.execute("nodes_cancel_waiting", execution_id=execution_id, node_ids=to_ready)
        elif to_ready:
            ready = sqlfile.fetch_all(
                "nodes_mark_ready", execution_id=execution_id, node_ids=to_ready
            )
            runs.extend(
                NodeRun(execution_id, child, attempt, queue) for child, attempt, queue in ready
            )
    return runs


def _finalize_if_done(plan: GraphPlan, execution_id: str, execution: LockedExecution) -> str | None:
    active, failed = sqlfile.fetch_all("execution_progress", execution_id=execution_id)[0]
    if active:
        return None
    error = execution.error
    if execution.cancel_requested:
        status = ExecutionStatus.CANCELLED
        row = sqlfile.fetch_one("execution_finalize_cancelled", execution_id=execution_id)
    else:
        status = ExecutionStatus.FAILED if failed or error else ExecutionStatus.SUCCEEDED
        output = None
        if status == ExecutionStatus.SUCCEEDED:
            leaves = list(plan.leaves)
            output = dict(
                sqlfile.fetch_all("node_outputs", execution_id=execution_id, node_ids=leaves)
            )
        row = sqlfile.fetch_one(
            "execution_finalize", execution_id=execution_id, status=status, output=Jsonb(output)
        )
    if row is None:
        return None
    # What still waits (an operator's hold) ends with the execution.
    sqlfile.execute(
        "pauses_close_open",
        execution_id=execution_id,
        decision="cancelled" if status == ExecutionStatus.CANCELLED else "finished",
    )
    _log(
        execution_id,
        LogLevel.INFO if status == ExecutionStatus.SUCCEEDED else LogLevel.WARNING,
        "execution_finished",
        f"execution {status} in {row[0]} ms" + (f": {error}" if error else ""),
    )
    return status


def _mark_paused_if_only_waiting(execution_id: str) -> None:
    """With only paused nodes left (nothing ready or running), the execution is paused."""
    sqlfile.execute("execution_mark_paused", execution_id=execution_id)


def _settle_paused(execution_id: str, runs: list[NodeRun]) -> list[NodeRun]:
    """After a resume, when the run goes on: with only paused nodes left the execution is
    paused; under an operator's hold, what became ready stays unpublished until resumed."""
    _mark_paused_if_only_waiting(execution_id)
    if runs and _lock_execution(execution_id).status == ExecutionStatus.PAUSED:
        return []
    return runs


def _append_node_logs(
    execution_id: str, node_id: str, attempt: int, logs: Sequence[tuple[str, str]]
) -> None:
    if logs:
        NodeLog.objects.bulk_create(
            NodeLog(
                execution_id=execution_id,
                node_id=node_id,
                attempt=attempt,
                level=level,
                message=message,
            )
            for level, message in logs
        )
