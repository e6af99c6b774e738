"""The pause half of the transitions: a node waits, a pause is resumed, an operator holds a run.

Split from `executions.transitions` so each module fits in one reading; the rules are the same.
Every move is a compare-and-set inside the caller's transaction, the execution row is locked
first, and what became ready is returned to be published after commit. Exactly-once resume is
the `resumed_at IS NULL` guard on the pause row: of two racing resumes one closes the pause and
moves the node, the other matches nothing and gets `already_resumed`.

The execution's own status follows its nodes: `paused` while nothing is ready or running and a
node waits, or while an operator holds it; `running` again when work is ready and no hold is
left. The SQL blocks live in `executions/sql/pauses.sql`, so the transition-map test reads them.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from psycopg.types.json import Jsonb

from executions import sqlfile
from executions.dispatch import NodeRun
from executions.models import ExecutionStatus, LogLevel
from executions.transitions import (
    ALL_EDGES,
    Completion,
    LockedExecution,
    _append_node_logs,
    _cancel_waiting,
    _fail_execution,
    _finalize_if_done,
    _lock_execution,
    _log,
    _require_transaction,
    _settle_children,
    _settle_paused,
)
from workflows.graph import GraphPlan
from workflows.nodes import PauseRequest

OPERATOR = "operator"


def node_pause(
    *,
    plan: GraphPlan,
    execution_id: str,
    node_id: str,
    node_execution_id: int,
    attempt: int,
    request: PauseRequest,
    logs: Sequence[tuple[str, str]] = (),
) -> Completion:
    """running -> paused, with the pause row the node waits on. `stale` for a late result of an
    attempt that is no longer running; `cancelled` when the run is failing or cancelled, since
    nothing may wait on a run that is ending."""
    _require_transaction()
    execution = _lock_execution(execution_id)
    if not sqlfile.fetch_one(
        "node_mark_paused", node_execution_id=node_execution_id, attempt=attempt
    ):
        return Completion("stale")
    pause_id = _insert_pause(
        execution_id,
        kind=request.kind,
        reason=request.reason,
        node_execution_id=node_execution_id,
        node_id=node_id,
        context=request.context,
        approvers=request.approvers,
        event_key=request.event_key,
        resume_at=request.resume_at,
        expires_at=request.expires_at,
    )
    _append_node_logs(
        execution_id, node_id, attempt, [*logs, (LogLevel.INFO, f"paused: {request.reason}")]
    )
    _log(
        execution_id,
        LogLevel.INFO,
        "node_paused",
        f"node {node_id!r} waits on pause {pause_id} ({request.kind}): {request.reason}",
    )
    if execution.stopping:
        _cancel_waiting(execution_id, [node_id])
        return Completion(
            "cancelled",
            pause_id=pause_id,
            finalized_status=_finalize_if_done(plan, execution_id, execution),
        )
    sqlfile.execute("execution_mark_paused", execution_id=execution_id)
    return Completion("paused", pause_id=pause_id)


def node_resume(
    *,
    plan: GraphPlan,
    execution_id: str,
    pause_id: int,
    decision: str,
    resumed_by_id: int | None,
    resumed_via: str,
    resume_data: Any = None,
    output: Any = None,
    fired: frozenset[str | None] | None = ALL_EDGES,
    error: str | None = None,
) -> Completion:
    """Close a node's pause and finish the node: paused -> succeeded with `output` (its
    children fire along `fired`), or paused -> failed with `error`. `already_resumed` when
    another resume won; `stale` when the node no longer waits (its run ended)."""
    _require_transaction()
    execution = _lock_execution(execution_id)
    row = _close_pause(execution_id, pause_id, decision, resumed_by_id, resumed_via, resume_data)
    if row is None:
        return Completion("already_resumed", pause_id=pause_id)
    node_execution_id, kind = row
    if node_execution_id is None:
        raise ValueError(f"pause {pause_id} is an operator's hold: use execution_release")
    if error is not None:
        return _fail_paused_node(plan, execution_id, execution, pause_id, node_execution_id, error)
    node = sqlfile.fetch_one("node_mark_resumed", node_execution_id=node_execution_id)
    if node is None:
        return Completion("stale", pause_id=pause_id)
    node_id, attempt = node
    sqlfile.execute(
        "node_output_insert",
        node_execution_id=node_execution_id,
        attempt=attempt,
        output=Jsonb(output),
    )
    _log(
        execution_id,
        LogLevel.INFO,
        "node_resumed",
        f"node {node_id!r} resumed from pause {pause_id} ({kind}): {decision} via {resumed_via}"
        + (f" by user {resumed_by_id}" if resumed_by_id else ""),
    )
    runs = _settle_children(plan, execution_id, node_id, fired, stopping=execution.stopping)
    finalized = _finalize_if_done(plan, execution_id, execution)
    if finalized is None:
        sqlfile.execute("execution_mark_resumed", execution_id=execution_id)
        runs = _settle_paused(execution_id, runs)
    return Completion("succeeded", runs=runs, finalized_status=finalized, pause_id=pause_id)


def _fail_paused_node(
    plan: GraphPlan,
    execution_id: str,
    execution: LockedExecution,
    pause_id: int,
    node_execution_id: int,
    error: str,
) -> Completion:
    """paused -> failed: like a failed run, the execution fails and nothing new starts."""
    node = sqlfile.fetch_one(
        "node_mark_pause_failed", node_execution_id=node_execution_id, error=error
    )
    if node is None:
        return Completion("stale", pause_id=pause_id)
    node_id, attempt = node
    message = f"node {node_id!r} failed: {error}"
    finalized = _fail_execution(
        plan, execution_id, execution, node_id, attempt, message, [(LogLevel.ERROR, error)]
    )
    return Completion("failed", pause_id=pause_id, finalized_status=finalized)


def execution_hold(*, execution_id: str, reason: str, actor_id: int | None) -> Completion:
    """An operator pauses a run: nothing new starts, running nodes finish and are recorded.
    `held` with the new pause, `already_held` with the open one, or `not_active` when the
    execution has ended, failed or is being cancelled."""
    _require_transaction()
    execution = _lock_execution(execution_id)
    if execution.stopping:
        return Completion("not_active")
    existing = sqlfile.fetch_one("execution_open_hold", execution_id=execution_id)
    if existing is not None:
        return Completion("already_held", pause_id=existing[0])
    # From pending or running; an execution already paused on a node's wait stays paused.
    sqlfile.execute("execution_mark_held", execution_id=execution_id)
    pause_id = _insert_pause(execution_id, kind=OPERATOR, reason=reason, created_by_id=actor_id)
    _log(execution_id, LogLevel.WARNING, "execution_paused", f"paused by operator: {reason}")
    return Completion("held", pause_id=pause_id)


def execution_release(
    *,
    plan: GraphPlan,
    execution_id: str,
    pause_id: int,
    resumed_by_id: int | None,
    resumed_via: str,
) -> Completion:
    """An operator resumes a held run: it continues where it stopped, and its ready nodes are
    returned to be published (messages that arrived during the hold were dropped by the claim).
    `already_resumed` when another resume won."""
    _require_transaction()
    execution = _lock_execution(execution_id)
    if _close_pause(execution_id, pause_id, "resumed", resumed_by_id, resumed_via, None) is None:
        return Completion("already_resumed", pause_id=pause_id)
    sqlfile.execute("execution_mark_resumed", execution_id=execution_id)
    _log(execution_id, LogLevel.INFO, "execution_resumed", f"resumed via {resumed_via}")
    finalized = _finalize_if_done(plan, execution_id, execution)
    runs: list[NodeRun] = []
    if finalized is None and _lock_execution(execution_id).status == ExecutionStatus.RUNNING:
        runs = [
            NodeRun(execution_id, node_id, attempt, queue, due_at)
            for node_id, attempt, queue, due_at in sqlfile.fetch_all(
                "nodes_ready", execution_id=execution_id
            )
        ]
    return Completion("resumed", runs=runs, finalized_status=finalized, pause_id=pause_id)


def _insert_pause(
    execution_id: str,
    *,
    kind: str,
    reason: str,
    node_execution_id: int | None = None,
    node_id: str = "",
    context: dict[str, Any] | None = None,
    approvers: dict[str, Any] | None = None,
    event_key: str | None = None,
    resume_at: Any = None,
    expires_at: Any = None,
    created_by_id: int | None = None,
) -> int:
    row = sqlfile.fetch_one(
        "pause_insert",
        execution_id=execution_id,
        node_execution_id=node_execution_id,
        node_id=node_id,
        kind=kind,
        reason=reason,
        context=Jsonb(context or {}),
        approvers=Jsonb(approvers or {}),
        event_key=event_key,
        resume_at=resume_at,
        expires_at=expires_at,
        created_by_id=created_by_id,
    )
    if row is None:  # an INSERT ... RETURNING always returns its row
        raise RuntimeError("pause_insert returned nothing")
    return int(row[0])


def _close_pause(
    execution_id: str,
    pause_id: int,
    decision: str,
    resumed_by_id: int | None,
    resumed_via: str,
    resume_data: Any,
) -> tuple[Any, ...] | None:
    return sqlfile.fetch_one(
        "pause_mark_resumed",
        pause_id=pause_id,
        execution_id=execution_id,
        decision=decision,
        resumed_by_id=resumed_by_id,
        resumed_via=resumed_via,
        resume_data=Jsonb(resume_data),
    )
