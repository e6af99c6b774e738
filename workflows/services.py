"""Writes for workflows: every graph change is validated and saved as a new immutable version."""

from __future__ import annotations

from typing import Any

from django.db import IntegrityError, transaction

from workflows.exceptions import InvalidGraph, WorkflowNameTaken
from workflows.graph import GraphError, validate
from workflows.models import Workflow, WorkflowVersion
from workflows.sqlfile import sql


def graph_check(graph: Any) -> dict[str, Any]:
    """The graph as it will be stored, or InvalidGraph listing every problem."""
    errors = validate(graph)
    if errors:
        raise InvalidGraph(errors)
    return {"nodes": graph["nodes"], "edges": graph.get("edges", [])}


def workflow_create(*, owner_id: int, name: str, graph: Any, description: str = "") -> Workflow:
    """Two concurrent creations of one name by one owner give one workflow and one
    WorkflowNameTaken: the owner's advisory lock makes the second wait and then see the
    first; the unique constraint still holds if some other path skips the lock."""
    stored = graph_check(graph)
    try:
        with transaction.atomic():
            sql.execute("workflow_owner_lock", owner_id=owner_id)
            if Workflow.objects.filter(owner_id=owner_id, name=name).exists():
                raise WorkflowNameTaken(name)
            workflow = Workflow.objects.create(
                owner_id=owner_id, name=name, description=description
            )
            WorkflowVersion.objects.create(
                workflow=workflow, number=1, graph=stored, created_by_id=owner_id
            )
    except IntegrityError as error:
        if Workflow.objects.filter(owner_id=owner_id, name=name).exists():
            raise WorkflowNameTaken(name) from error
        raise
    return workflow


def workflow_update(
    *,
    workflow: Workflow,
    actor_id: int,
    name: str | None = None,
    description: str | None = None,
    graph: Any = None,
) -> tuple[Workflow, WorkflowVersion | None]:
    """Rename, describe and/or save a new version. Returns the new version, if one was made.

    An unchanged graph makes no version, so saving twice does not grow history.
    """
    stored = graph_check(graph) if graph is not None else None
    new_version = None
    try:
        with transaction.atomic():
            if name is not None:
                sql.execute("workflow_owner_lock", owner_id=workflow.owner_id)
            locked = Workflow.objects.select_for_update().get(pk=workflow.pk)
            if name is not None:
                locked.name = name
            if description is not None:
                locked.description = description
            locked.save()
            latest = locked.versions.order_by("-number").first()
            if stored is not None and (latest is None or latest.graph != stored):
                new_version = WorkflowVersion.objects.create(
                    workflow=locked,
                    number=(latest.number + 1) if latest else 1,
                    graph=stored,
                    created_by_id=actor_id,
                )
    except IntegrityError as error:
        if name is not None:
            raise WorkflowNameTaken(name) from error
        raise
    return locked, new_version


def workflow_import(
    *, owner_id: int, document: dict[str, Any]
) -> tuple[Workflow, WorkflowVersion | None]:
    """Create or update the owner's workflow named in a `{"name", "nodes", "edges"}` file."""
    name = document.get("name")
    if not isinstance(name, str) or not name.strip():
        raise InvalidGraph(
            [GraphError("invalid_graph", "the file needs a non-empty name", field="name")]
        )
    graph = {"nodes": document.get("nodes"), "edges": document.get("edges", [])}
    existing = Workflow.objects.filter(owner_id=owner_id, name=name).first()
    if existing is None:
        created = workflow_create(
            owner_id=owner_id, name=name, graph=graph, description=document.get("description", "")
        )
        return created, created.latest_version()
    return workflow_update(
        workflow=existing, actor_id=owner_id, graph=graph, description=document.get("description")
    )
