"""Human and machine views of a finished execution, shared by the CLI and the bench."""

from __future__ import annotations

from typing import Any

from executions.models import WorkflowExecution
from executions.selectors import node_output


def execution_summary(execution: WorkflowExecution) -> dict[str, Any]:
    return {
        "id": str(execution.id),
        "status": execution.status,
        "output": execution.output,
        "error": execution.error or None,
        "duration_ms": execution.duration_ms,
        "nodes": [
            {
                "node_id": node.node_id,
                "status": node.status,
                "attempts": node.attempt if node.started_at else 0,
                "output": node_output(node),
            }
            for node in execution.nodes.all()
        ],
    }


def timeline_lines(execution: WorkflowExecution) -> list[str]:
    origin = execution.started_at or execution.created_at
    lines = [f"execution {execution.id}  {execution.workflow.name!r} v{execution.version.number}"]
    for node in execution.nodes.all():
        offset = (
            f"+{(node.started_at - origin).total_seconds() * 1000:7.0f} ms"
            if node.started_at
            else " " * 11
        )
        duration = f"{node.duration_ms} ms" if node.duration_ms is not None else "-"
        attempts = f"  attempts={node.attempt}" if node.attempt > 1 else ""
        error = f"  error: {node.error}" if node.error and node.status != "succeeded" else ""
        lines.append(
            f"  {offset}  {node.node_id:<24} {node.status:<10} {duration:>8}{attempts}{error}"
        )
    lines.append(f"{execution.status} in {execution.duration_ms} ms")
    if execution.error:
        lines.append(f"error: {execution.error}")
    if execution.output is not None:
        import json

        lines.append(f"output: {json.dumps(execution.output)}")
    return lines
