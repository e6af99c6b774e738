"""Reads for workflows, always scoped to the acting user."""

from __future__ import annotations

from django.db.models import Max, QuerySet

from workflows.models import Workflow


def workflow_list(*, owner_id: int) -> QuerySet[Workflow]:
    return Workflow.objects.filter(owner_id=owner_id).annotate(
        version_count=Max("versions__number")
    )


def workflow_get(*, owner_id: int, workflow_id: str) -> Workflow:
    """Raises Workflow.DoesNotExist for another user's workflow, exactly as for a missing one."""
    return Workflow.objects.get(owner_id=owner_id, id=workflow_id)
