"""Compiled graph plans, cached per workflow version.

Versions are immutable, so a plan compiled once is valid for the life of the process.
"""

from __future__ import annotations

from functools import lru_cache
from uuid import UUID

from workflows.graph import GraphPlan, compile_plan
from workflows.models import WorkflowVersion


@lru_cache(maxsize=1024)
def plan_get(version_id: UUID | str) -> GraphPlan:
    graph = WorkflowVersion.objects.values_list("graph", flat=True).get(id=version_id)
    return compile_plan(graph)
