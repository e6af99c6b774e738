"""Reads for workflows, always scoped to the acting user."""

from __future__ import annotations

from django.db.models import Max, QuerySet

from workflows.models import Workflow, WorkflowVersion


def workflow_list(*, owner_id: int) -> QuerySet[Workflow]:
    return Workflow.objects.filter(owner_id=owner_id).annotate(
        version_count=Max("versions__number")
    )


def workflow_get(*, owner_id: int, workflow_id: str) -> Workflow:
    """Raises Workflow.DoesNotExist for another user's workflow, exactly as for a missing one."""
    return Workflow.objects.get(owner_id=owner_id, id=workflow_id)


def workflow_latest_version(*, owner_id: int, workflow_id: str) -> WorkflowVersion | None:
    """The newest version of a workflow, with its workflow, in one query (a start's hot path).
    None when the workflow has no version, or is not the owner's, or does not exist."""
    return (
        WorkflowVersion.objects.select_related("workflow")
        .filter(workflow_id=workflow_id, workflow__owner_id=owner_id)
        .only("id", "number", "workflow")
        .order_by("-number")
        .first()
    )
