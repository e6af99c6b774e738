"""Reads of the ledger, always scoped to the acting user."""

from __future__ import annotations

from typing import Any

from django.db.models import Prefetch, QuerySet

from executions.models import EXECUTION_TERMINAL, NodeExecution, NodeOutput, WorkflowExecution


def execution_list(
    *, owner_id: int, workflow_id: str | None = None, status: str | None = None
) -> QuerySet[WorkflowExecution]:
    executions = WorkflowExecution.objects.filter(owner_id=owner_id).select_related(
        "workflow", "version"
    )
    if workflow_id:
        executions = executions.filter(workflow_id=workflow_id)
    if status:
        executions = executions.filter(status=status)
    return executions


def execution_get(*, owner_id: int | None, execution_id: Any) -> WorkflowExecution:
    """With its nodes and their outputs. owner_id None is for operators' tools (CLI)."""
    executions = WorkflowExecution.objects.select_related("workflow", "version").prefetch_related(
        Prefetch(
            "nodes",
            queryset=NodeExecution.objects.order_by("started_at", "id").prefetch_related(
                Prefetch("output", queryset=NodeOutput.objects.only("node_execution_id", "output"))
            ),
        )
    )
    if owner_id is not None:
        executions = executions.filter(owner_id=owner_id)
    return executions.get(id=execution_id)


def execution_is_finished(*, execution_id: Any) -> bool:
    status = WorkflowExecution.objects.values_list("status", flat=True).get(id=execution_id)
    return status in EXECUTION_TERMINAL


def node_output(node: NodeExecution) -> Any:
    try:
        return node.output.output
    except NodeOutput.DoesNotExist:
        return None
