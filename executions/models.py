"""The ledger: executions, node executions, their inputs, outputs and logs.

Statuses and the moves allowed between them are declared here, once; only
`executions.transitions` changes a status, and always by compare-and-set.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models

from workflows.models import Workflow, WorkflowVersion


class ExecutionStatus(models.TextChoices):
    PENDING = "pending"
    RUNNING = "running"
    PAUSED = "paused"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    CANCELLED = "cancelled"


class NodeStatus(models.TextChoices):
    PENDING = "pending"  # waiting for parents
    READY = "ready"  # may run from next_attempt_at on; a message is published after commit
    RUNNING = "running"
    PAUSED = "paused"  # ran, and waits on a workflow_pauses row (timer, approval, event)
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    SKIPPED = "skipped"  # only reachable through branches that did not fire
    CANCELLED = "cancelled"  # the execution failed or was cancelled before it could run


EXECUTION_TERMINAL = frozenset(
    {ExecutionStatus.SUCCEEDED, ExecutionStatus.FAILED, ExecutionStatus.CANCELLED}
)
NODE_TERMINAL = frozenset(
    {NodeStatus.SUCCEEDED, NodeStatus.FAILED, NodeStatus.SKIPPED, NodeStatus.CANCELLED}
)

# The allowed moves, listed once. A retry is running -> ready with the attempt incremented.
EXECUTION_TRANSITIONS: dict[str, frozenset[str]] = {
    # pending -> paused and running -> paused: an operator's hold, or (running only) nothing
    # runs any more while a node waits; paused -> running when work is ready again.
    ExecutionStatus.PENDING: frozenset(
        {ExecutionStatus.RUNNING, ExecutionStatus.PAUSED, ExecutionStatus.CANCELLED}
    ),
    ExecutionStatus.RUNNING: frozenset(
        {
            ExecutionStatus.PAUSED,
            ExecutionStatus.SUCCEEDED,
            ExecutionStatus.FAILED,
            ExecutionStatus.CANCELLED,
        }
    ),
    ExecutionStatus.PAUSED: frozenset(
        {
            ExecutionStatus.RUNNING,
            ExecutionStatus.SUCCEEDED,
            ExecutionStatus.FAILED,
            ExecutionStatus.CANCELLED,
        }
    ),
    ExecutionStatus.SUCCEEDED: frozenset(),
    ExecutionStatus.FAILED: frozenset(),
    ExecutionStatus.CANCELLED: frozenset(),
}
NODE_TRANSITIONS: dict[str, frozenset[str]] = {
    NodeStatus.PENDING: frozenset({NodeStatus.READY, NodeStatus.SKIPPED, NodeStatus.CANCELLED}),
    NodeStatus.READY: frozenset({NodeStatus.RUNNING, NodeStatus.CANCELLED}),
    # running -> ready is a retry or a take-back by the sweeper, always as a new attempt;
    # running -> cancelled is a run aborted because its execution was cancelled.
    NodeStatus.RUNNING: frozenset(
        {
            NodeStatus.SUCCEEDED,
            NodeStatus.FAILED,
            NodeStatus.READY,
            NodeStatus.CANCELLED,
            NodeStatus.PAUSED,
        }
    ),
    # A pause is resumed with an output (succeeded), expires with no edge to follow (failed),
    # or ends with its execution (cancelled).
    NodeStatus.PAUSED: frozenset({NodeStatus.SUCCEEDED, NodeStatus.FAILED, NodeStatus.CANCELLED}),
    NodeStatus.SUCCEEDED: frozenset(),
    NodeStatus.FAILED: frozenset(),
    NodeStatus.SKIPPED: frozenset(),
    NodeStatus.CANCELLED: frozenset(),
}


def _check_in(field: str, choices: type[models.TextChoices]) -> models.Q:
    return models.Q(**{f"{field}__in": [choice.value for choice in choices]})


class WorkflowExecution(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    # No index of its own: execution_owner_created leads with owner_id.
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="executions",
        db_index=False,
    )
    workflow = models.ForeignKey(Workflow, on_delete=models.CASCADE, related_name="executions")
    version = models.ForeignKey(
        WorkflowVersion, on_delete=models.PROTECT, related_name="executions"
    )
    status = models.CharField(
        max_length=16, choices=ExecutionStatus.choices, default=ExecutionStatus.PENDING
    )
    input = models.JSONField(default=dict, blank=True)
    output = models.JSONField(null=True, blank=True)
    error = models.TextField(blank=True, default="")
    trigger = models.CharField(max_length=32, default="api")
    idempotency_key = models.CharField(max_length=255, null=True, blank=True)  # noqa: DJ001 (NULL: no key)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    duration_ms = models.BigIntegerField(null=True, blank=True)
    # Set once by a cancel; running nodes abort, nothing new starts, the end is `cancelled`.
    cancel_requested_at = models.DateTimeField(null=True, blank=True)
    # Set when retention removed the input, output and node payloads (the record stays).
    payloads_pruned_at = models.DateTimeField(null=True, blank=True)
    cancelled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        db_table = "workflow_executions"
        constraints = [
            models.UniqueConstraint(
                fields=["owner", "idempotency_key"],
                condition=models.Q(idempotency_key__isnull=False),
                name="execution_idempotency_key_unique_per_owner",
            ),
            models.CheckConstraint(
                condition=_check_in("status", ExecutionStatus), name="execution_status_valid"
            ),
        ]
        indexes = [
            models.Index(fields=["owner", "-created_at"], name="execution_owner_created"),
            models.Index(fields=["workflow", "-created_at"], name="execution_workflow_created"),
        ]
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.id} ({self.status})"


class NodeExecution(models.Model):
    id = models.BigAutoField(primary_key=True)
    # No index of its own: every update of a node row writes every index, and the unique
    # (execution_id, node_id) index already serves lookups by execution.
    execution = models.ForeignKey(
        WorkflowExecution, on_delete=models.CASCADE, related_name="nodes", db_index=False
    )
    node_id = models.CharField(max_length=200)
    node_type = models.CharField(max_length=64)
    queue = models.CharField(max_length=32)
    status = models.CharField(max_length=16, choices=NodeStatus.choices, default=NodeStatus.PENDING)
    attempt = models.PositiveIntegerField(default=1)
    retry_count = models.PositiveIntegerField(default=0)
    max_attempts = models.PositiveIntegerField(default=1)
    join_mode = models.CharField(max_length=8, default="all")
    unfinished_parents = models.PositiveIntegerField(default=0)
    fired_parents = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    # The sweeper takes the node back when its heartbeat is older than this.
    stale_after_seconds = models.PositiveIntegerField(default=300)
    # When the relay last published this node again (DESIGN.md invariant 3); the normal path
    # publishes after commit and writes nothing, so a hop costs no extra transaction.
    relayed_at = models.DateTimeField(null=True, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)
    duration_ms = models.BigIntegerField(null=True, blank=True)
    error = models.TextField(blank=True, default="")
    worker = models.CharField(max_length=255, blank=True, default="")

    class Meta:
        db_table = "node_executions"
        constraints = [
            models.UniqueConstraint(
                fields=["execution", "node_id"], name="node_execution_unique_per_execution"
            ),
            models.CheckConstraint(
                condition=_check_in("status", NodeStatus), name="node_status_valid"
            ),
            models.CheckConstraint(
                condition=models.Q(retry_count__lte=10), name="node_retry_count_at_most_10"
            ),
            models.CheckConstraint(
                condition=models.Q(attempt__gte=1), name="node_attempt_positive"
            ),
            models.CheckConstraint(
                condition=models.Q(join_mode__in=["all", "any"]), name="node_join_mode_valid"
            ),
        ]
        indexes = [
            # The relay's scan: ready nodes by due time.
            models.Index(
                fields=["next_attempt_at"],
                condition=models.Q(status="ready"),
                name="node_ready_due",
            ),
            models.Index(
                fields=["heartbeat_at"],
                condition=models.Q(status="running"),
                name="node_running_heartbeat",
            ),
        ]
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.node_id} #{self.attempt} ({self.status})"

    @property
    def message_id(self) -> str:
        return f"{self.execution_id}:{self.node_id}:{self.attempt}"


class NodeInput(models.Model):
    """What one attempt of a node ran with: its rendered config and the outputs it could see."""

    id = models.BigAutoField(primary_key=True)
    node_execution = models.ForeignKey(
        NodeExecution, on_delete=models.CASCADE, related_name="inputs"
    )
    attempt = models.PositiveIntegerField()
    config = models.JSONField(null=True)
    parents = models.JSONField(default=dict)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        db_table = "node_inputs"
        constraints = [
            models.UniqueConstraint(
                fields=["node_execution", "attempt"], name="node_input_unique_per_attempt"
            ),
        ]


class NodeOutput(models.Model):
    id = models.BigAutoField(primary_key=True)
    node_execution = models.OneToOneField(
        NodeExecution, on_delete=models.CASCADE, related_name="output"
    )
    attempt = models.PositiveIntegerField()
    output = models.JSONField(null=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        db_table = "node_outputs"


class LogLevel(models.TextChoices):
    DEBUG = "debug"
    INFO = "info"
    WARNING = "warning"
    ERROR = "error"


class ExecutionLog(models.Model):
    """Append-only; partitioned by month on created_at, keyed (id, created_at) in the database
    (database/sql/partitions.sql), with retention by whole partitions."""

    id = models.BigAutoField(primary_key=True)
    execution = models.ForeignKey(
        WorkflowExecution, on_delete=models.CASCADE, related_name="logs", db_constraint=False
    )
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    level = models.CharField(max_length=8, choices=LogLevel.choices, default=LogLevel.INFO)
    event = models.CharField(max_length=64)
    message = models.TextField()

    class Meta:
        db_table = "execution_logs"
        indexes = [
            models.Index(fields=["execution", "created_at"], name="execution_log_by_execution")
        ]
        ordering = ["created_at", "id"]


class NodeLog(models.Model):
    """Append-only lines a node run wrote (request lines, user code output, ...)."""

    id = models.BigAutoField(primary_key=True)
    execution = models.ForeignKey(
        WorkflowExecution, on_delete=models.CASCADE, related_name="node_logs", db_constraint=False
    )
    node_id = models.CharField(max_length=200)
    attempt = models.PositiveIntegerField()
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    level = models.CharField(max_length=8, choices=LogLevel.choices, default=LogLevel.INFO)
    message = models.TextField()

    class Meta:
        db_table = "node_logs"
        indexes = [
            models.Index(fields=["execution", "node_id", "created_at"], name="node_log_by_node")
        ]
        ordering = ["created_at", "id"]
