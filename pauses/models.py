"""The pause ledger: what a waiting node (or an operator's hold) waits on, and early events.

A pause is open while `resumed_at` is NULL. Closing it is one compare-and-set on that column
(executions/sql/pauses.sql), so however many resumes race, exactly one wins. Rows are never
deleted by the engine: a closed pause is the record of who resumed what, when and how.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models

from executions.models import NodeExecution, WorkflowExecution


class PauseKind(models.TextChoices):
    TIMER = "timer"  # a delay node; the pause scan resumes it at resume_at
    APPROVAL = "approval"  # an approval node; a person approves or rejects
    EVENT = "event"  # a wait_for_event node; an event with its key resumes it
    OPERATOR = "operator"  # an operator's hold on the whole execution


class PauseDecision(models.TextChoices):
    OPEN = ""  # not resumed yet
    ELAPSED = "elapsed"  # a timer came due
    APPROVED = "approved"
    REJECTED = "rejected"
    RECEIVED = "received"  # the event arrived
    EXPIRED = "expired"
    RESUMED = "resumed"  # an operator resumed the execution
    CANCELLED = "cancelled"  # the execution failed or was cancelled while this waited
    FINISHED = "finished"  # the execution ended while an operator held it


class WorkflowPause(models.Model):
    id = models.BigAutoField(primary_key=True)
    execution = models.ForeignKey(
        WorkflowExecution, on_delete=models.CASCADE, related_name="pauses"
    )
    # The execution's owner, copied so row-level security and approvers need no join to an
    # execution they may not see.
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", db_index=False
    )
    # NULL for an operator's hold, which pauses the execution rather than one node.
    node_execution = models.ForeignKey(
        NodeExecution, null=True, blank=True, on_delete=models.CASCADE, related_name="pauses"
    )
    node_id = models.CharField(max_length=200, blank=True, default="")
    kind = models.CharField(max_length=16, choices=PauseKind.choices)
    reason = models.TextField(blank=True, default="")
    # What the approver or the event sender needs to see (the rendered message, the key, ...).
    context = models.JSONField(default=dict, blank=True)
    # Who may decide an approval: {"users": [ids], "groups": [names]}; the owner always may.
    approvers = models.JSONField(default=dict, blank=True)
    event_key = models.CharField(max_length=255, null=True, blank=True)  # noqa: DJ001
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField()
    resume_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    resumed_at = models.DateTimeField(null=True, blank=True)
    resumed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # rest, admin, command, scan, event or engine (closed because the execution ended).
    resumed_via = models.CharField(max_length=16, blank=True, default="")
    decision = models.CharField(
        max_length=16, choices=PauseDecision.choices, blank=True, default=PauseDecision.OPEN
    )
    resume_data = models.JSONField(null=True, blank=True)

    class Meta:
        db_table = "workflow_pauses"
        constraints = [
            models.CheckConstraint(
                condition=models.Q(kind__in=PauseKind.values), name="pause_kind_valid"
            ),
            models.CheckConstraint(
                condition=models.Q(decision__in=PauseDecision.values), name="pause_decision_valid"
            ),
            # Open means undecided, closed means decided: never one without the other.
            models.CheckConstraint(
                condition=(
                    models.Q(resumed_at__isnull=True, decision="")
                    | (models.Q(resumed_at__isnull=False) & ~models.Q(decision=""))
                ),
                name="pause_resumed_iff_decided",
            ),
            models.CheckConstraint(
                condition=(
                    models.Q(kind="operator", node_execution__isnull=True)
                    | (~models.Q(kind="operator") & models.Q(node_execution__isnull=False))
                ),
                name="pause_operator_iff_no_node",
            ),
            models.UniqueConstraint(
                fields=["node_execution"],
                condition=models.Q(node_execution__isnull=False),
                name="pause_one_per_node_execution",
            ),
            models.UniqueConstraint(
                fields=["execution"],
                condition=models.Q(kind="operator", resumed_at__isnull=True),
                name="pause_one_open_hold_per_execution",
            ),
        ]
        indexes = [
            # The pause scan: open pauses by due time.
            models.Index(
                fields=["resume_at"],
                condition=models.Q(resumed_at__isnull=True, resume_at__isnull=False),
                name="pause_open_by_resume_at",
            ),
            models.Index(
                fields=["expires_at"],
                condition=models.Q(resumed_at__isnull=True, expires_at__isnull=False),
                name="pause_open_by_expires_at",
            ),
            models.Index(
                fields=["event_key"],
                condition=models.Q(resumed_at__isnull=True, kind="event"),
                name="pause_open_by_event_key",
            ),
            models.Index(fields=["execution", "created_at"], name="pause_by_execution"),
        ]
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        where = f"node {self.node_id}" if self.node_id else "execution"
        return f"pause {self.id}: {self.kind} on {where} ({self.decision or 'open'})"

    @property
    def is_open(self) -> bool:
        return self.resumed_at is None


class ExternalEvent(models.Model):
    """An event posted to `POST /api/events/`, kept as a record of what arrived.

    An event that found no wait on its key stays unconsumed, and the first wait on that key to
    begin within ZZYRA_EVENT_RETENTION_SECONDS consumes it (see pauses.services.event_post).
    """

    id = models.BigAutoField(primary_key=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="external_events"
    )
    key = models.CharField(max_length=255)
    payload = models.JSONField(null=True, blank=True)
    received_at = models.DateTimeField(auto_now_add=True)
    # Set when the event resumed at least one wait (at once, or later as an early event).
    consumed_at = models.DateTimeField(null=True, blank=True)
    resumed_pauses = models.JSONField(default=list, blank=True)

    class Meta:
        db_table = "external_events"
        indexes = [
            models.Index(
                fields=["owner", "key", "received_at"],
                condition=models.Q(consumed_at__isnull=True),
                name="event_unconsumed_by_key",
            ),
        ]
        ordering = ["-received_at", "-id"]

    def __str__(self) -> str:
        return f"event {self.key!r} ({'consumed' if self.consumed_at else 'waiting'})"
