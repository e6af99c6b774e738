"""Running node messages: claim the attempt, run the node, record the outcome.

A node with external work (HTTP, jail, chain) runs between two short transactions, its claim
and its outcome (DESIGN.md invariant 8); a pure node runs inside one. See node_run.
"""

from __future__ import annotations

import json
import logging
import os
import socket
import threading
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.utils import timezone

from database.acting import acting_user_of_execution
from executions import sqlfile, transitions
from executions.dispatch import NodeRun, publish_on_commit
from executions.heartbeat import leases
from executions.models import LogLevel, NodeStatus
from executions.plans import plan_get
from workflows import templating
from workflows.graph import GraphPlan, PlanNode
from workflows.nodes import NodeCancelled, NodeContext, NodeError, PauseRequest, PauseRequested
from workflows.retry import next_retry_at

logger = logging.getLogger("zzyra.engine")


def worker_name() -> str:
    # Computed per call: prefork children share the parent's import but not its pid.
    return f"{socket.gethostname()}:{os.getpid()}"


@dataclass(frozen=True)
class ClaimedRun:
    execution_id: str
    attempt: int
    plan: GraphPlan
    node: PlanNode
    claim: transitions.Claim
    config: dict[str, Any] | None
    template_context: dict[str, Any]
    template_problem: templating.TemplateProblem | None


# Children run inline by the worker that finished their parent, at most this many in a row,
# before it hands the next one to the broker (so one long chain cannot hold a worker forever).
INLINE_HOPS = 100


def node_run(*, execution_id: str, node_id: str, attempt: int) -> str:
    """Run one attempt of one node, then the children it makes ready on the same queue.

    A node with external work (HTTP, a jail, a chain) runs between two short transactions, its
    claim and its outcome (DESIGN.md invariant 8). A pure node (transform, condition) runs
    inside the transaction that claims it and records its outcome: rolled back, it never ran.

    A child made ready on this worker's queue runs here next instead of being published and
    received again, which saves a broker round trip per hop. A pure child is claimed and run in
    the transaction that recorded its parent; any other child is claimed in a transaction of
    its own, so until this process claims it, it is ready in the ledger and the relay publishes
    it should the process die. Either way the claim is the compare-and-set a message would make.

    Returns the first node's outcome, for logs and tests: succeeded, retrying, failed,
    cancelled, paused, stale, duplicate, early or unknown.
    """
    chain = _Chain()
    run: tuple[str, int] | None = (node_id, attempt)
    while run is not None:
        try:
            with transaction.atomic():
                acting_user_of_execution(execution_id)  # RLS: the owner's rows only
                claimed = _claim(execution_id, *run, known=chain.outputs)
                if isinstance(claimed, str):
                    return chain.first_outcome or claimed
                if claimed.node.type.pure and chain.pure_inline:
                    run = _run_pure(chain, claimed)
                    continue
        except Exception:
            if not chain.pure_inline:
                raise
            # Rolled back, so the nodes are ready again. Run them the long way instead: a
            # transaction that fails every time would otherwise be relayed again forever,
            # where a node that fails outside one is taken back and bounded by its attempts.
            logger.exception("pure nodes of %s failed in their transaction", execution_id)
            chain.pure_inline = False
            continue
        logs: list[tuple[str, str]] = []
        with leases.hold(claimed.claim.node_execution_id) as cancelled:
            output, error = _execute(claimed, logs, cancelled)
        with transaction.atomic():
            acting_user_of_execution(execution_id)
            run = _run_pure(chain, _record(chain, claimed, output, error, logs))
    return chain.first_outcome


class _Chain:
    """The nodes one message ran: the first one's outcome, how many hops so far, and the
    outputs they recorded (so a child run here next need not read them back)."""

    def __init__(self) -> None:
        self.first_outcome = ""
        self.hops = 0
        self.outputs: dict[str, Any] = {}
        # Whether pure nodes run inside their claim transaction (see node_run).
        self.pure_inline = True

    def recorded(self, node_id: str, outcome: str, output: Any) -> None:
        self.first_outcome = self.first_outcome or outcome
        self.hops += 1
        # A pause that ended at once (an event that came early) recorded another output.
        if outcome == "succeeded" and not isinstance(output, PauseRequest):
            self.outputs[node_id] = output


def _run_pure(chain: _Chain, step: ClaimedRun | tuple[str, int] | None) -> tuple[str, int] | None:
    """Runs claimed pure nodes here, in the caller's transaction, recording each; returns the
    next child to claim and run outside it, as (node id, attempt), or None."""
    while isinstance(step, ClaimedRun):
        logs: list[tuple[str, str]] = []
        output, error = _execute(step, logs, threading.Event())
        step = _record(chain, step, output, error, logs)
    return step


def _record(
    chain: _Chain,
    claimed: ClaimedRun,
    output: Any,
    error: NodeError | None,
    logs: list[tuple[str, str]],
) -> ClaimedRun | tuple[str, int] | None:
    """Records a node's outcome in the caller's transaction, and picks the first child it made
    ready on this queue to run here next: a pure one claimed now, another one as (node id,
    attempt) to claim in its own transaction. Every other ready child is published on commit."""
    completion = _record_outcome(claimed, output, error, logs)
    chain.recorded(claimed.node.id, completion.outcome, output)
    follow_up = None
    if chain.hops < INLINE_HOPS:
        follow_up = _follow_up(completion.runs, queue=claimed.node.type.queue)
    step: ClaimedRun | tuple[str, int] | None = None
    if follow_up is not None:
        step = (follow_up.node_id, follow_up.attempt)
        if claimed.plan.nodes[follow_up.node_id].type.pure and chain.pure_inline:
            child = _claim(claimed.execution_id, *step, known=chain.outputs)
            step = child if isinstance(child, ClaimedRun) else None
    publish_on_commit([run for run in completion.runs if step is None or run is not follow_up])
    return step


def _follow_up(runs: list[NodeRun], *, queue: str) -> NodeRun | None:
    """The first run due now on this worker's queue: it runs here next, unpublished."""
    return next((run for run in runs if run.queue == queue and run.seconds_until_due() == 0), None)


def _claim(
    execution_id: str, node_id: str, attempt: int, *, known: dict[str, Any]
) -> ClaimedRun | str:
    """Claims a ready node and records what it runs with; `known` holds outputs this process
    recorded for the execution already, read from the ledger otherwise."""
    claim = transitions.node_claim(
        execution_id=execution_id, node_id=node_id, attempt=attempt, worker=worker_name()
    )
    if claim is None:
        return _unclaimed(execution_id, node_id, attempt)
    plan = plan_get(claim.version_id)
    node = plan.nodes[node_id]
    if not node.parents:
        transitions.execution_mark_running(execution_id=execution_id)
    outputs = {ancestor: known[ancestor] for ancestor in node.ancestors if ancestor in known}
    unknown = [ancestor for ancestor in node.ancestors if ancestor not in known]
    if unknown:
        outputs.update(
            sqlfile.fetch_all("node_outputs", execution_id=execution_id, node_ids=unknown)
        )
    template_context = {
        "input": claim.execution_input,
        "nodes": {ancestor: {"output": output} for ancestor, output in outputs.items()},
    }
    config, problem = _render_config(node, template_context)
    transitions.node_record_input(
        node_execution_id=claim.node_execution_id,
        attempt=attempt,
        config=config,
        parents={parent: outputs.get(parent) for parent in node.parents},
    )
    return ClaimedRun(execution_id, attempt, plan, node, claim, config, template_context, problem)


def _render_config(
    node: PlanNode, template_context: dict[str, Any]
) -> tuple[dict[str, Any] | None, templating.TemplateProblem | None]:
    untouched = node.type.expression_fields | node.type.verbatim_fields
    try:
        config = {
            key: value if key in untouched else templating.render(value, template_context)
            for key, value in node.config.items()
        }
    except templating.TemplateProblem as problem:
        return None, problem
    for key, value in config.items():
        if _has_nul(value):
            # jsonb cannot store it: the claim transaction that records the input would fail on
            # every delivery, so the node fails instead.
            return None, templating.TemplateProblem(
                str(node.config[key]), "renders a string with a NUL character"
            )
    return config, None


def _execute(
    claimed: ClaimedRun, logs: list[tuple[str, str]], cancelled: threading.Event
) -> tuple[Any, NodeError | None]:
    """The node's own work (outside any transaction unless the node is pure). Never raises:
    every failure is a NodeError."""
    node, execution_id, attempt = claimed.node, claimed.execution_id, claimed.attempt
    if claimed.template_problem is not None or claimed.config is None:
        problem = claimed.template_problem
        return None, NodeError(
            f"template error in {problem.template!r}: {problem.cause}" if problem else "no config"
        )
    context = NodeContext(
        execution_id=execution_id,
        node_id=node.id,
        attempt=attempt,
        config=claimed.config,
        template_context=claimed.template_context,
        idempotency_key=f"{execution_id}:{node.id}",
        log=lambda message: logs.append((LogLevel.INFO, message)),
        cancelled=cancelled,
    )
    try:
        output = node.type.run(context)
    except PauseRequested as pause:
        # A waiting node: recorded as a pause, no worker waits (pauses.services.node_pause_begin).
        return pause.request, None
    except NodeError as failure:
        return None, failure
    except Exception as failure:  # a bug in a node type must still end the node, visibly
        logger.exception("%s node crashed", node.type.name)
        return None, NodeError(
            f"internal error in {node.type.name} node: {type(failure).__name__}: {failure}"
        )
    try:
        encoded = json.dumps(output, allow_nan=False)
    except (TypeError, ValueError) as failure:
        return None, NodeError(
            f"{node.type.name} node returned a value that is not JSON: {failure}"
        )
    if "\\u0000" in encoded and _has_nul(output):
        # Valid JSON that PostgreSQL's jsonb refuses: fail the node, not its outcome transaction.
        return None, NodeError(f"{node.type.name} node returned a string with a NUL character")
    # As the ledger will hold it (tuples become lists, keys strings), so a child run in this
    # process sees exactly what one reading it back would.
    return json.loads(encoded), None


def _has_nul(value: Any) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_has_nul(key) or _has_nul(item) for key, item in value.items())
    if isinstance(value, list | tuple):
        return any(_has_nul(item) for item in value)
    return False


def _record_outcome(
    claimed: ClaimedRun, output: Any, error: NodeError | None, logs: list[tuple[str, str]]
) -> transitions.Completion:
    node, execution_id, attempt = claimed.node, claimed.execution_id, claimed.attempt
    common: dict[str, Any] = {
        "execution_id": execution_id,
        "node_id": node.id,
        "node_execution_id": claimed.claim.node_execution_id,
        "attempt": attempt,
        "logs": logs,
    }
    if isinstance(output, PauseRequest):
        from pauses.services import node_pause_begin  # the pauses app builds on this module

        return node_pause_begin(plan=claimed.plan, request=output, **common)
    if error is None:
        return transitions.node_succeed(plan=claimed.plan, output=output, **common)
    if isinstance(error, NodeCancelled):
        return transitions.node_cancel(plan=claimed.plan, error=str(error), **common)
    due_at = next_retry_at(node.retry, attempt, retryable=error.retryable, now=timezone.now())
    if due_at is not None:
        retried = transitions.node_retry(
            queue=node.type.queue, error=str(error), due_at=due_at, **common
        )
        if retried is not None:
            return retried
    return transitions.node_fail(plan=claimed.plan, error=str(error), **common)


def _unclaimed(execution_id: str, node_id: str, attempt: int) -> str:
    """A message that claimed nothing: a duplicate, a stale attempt, or early for a retry."""
    state = sqlfile.fetch_one("node_state", execution_id=execution_id, node_id=node_id)
    if state is None:
        logger.warning("message for unknown node %s:%s:%s dropped", execution_id, node_id, attempt)
        return "unknown"
    status, current_attempt, due_at, queue = state
    if (
        status == NodeStatus.READY
        and current_attempt == attempt
        and due_at
        and due_at > timezone.now()
    ):
        # Delivered before the retry was due (a relay, or a lost countdown): send it back.
        run = NodeRun(execution_id, node_id, attempt, queue, due_at)
        publish_on_commit([run])
        return "early"
    return "duplicate"
