"""Retention of execution payloads: old finished runs keep their record, not their data."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.utils import timezone

from executions.models import NodeExecution, NodeOutput, WorkflowExecution
from executions.retention import execution_payloads_prune
from executions.services import execution_start
from tests.graphs import chain
from workflows.services import workflow_create

pytestmark = pytest.mark.django_db


@pytest.fixture
def start() -> Any:
    owner = get_user_model().objects.create_user(username="keeper")
    workflow = workflow_create(owner_id=owner.pk, name="kept", graph=chain(2))

    def run(*, status: str, finished_days_ago: float | None) -> WorkflowExecution:
        execution, _ = execution_start(owner_id=owner.pk, workflow=workflow, input={"secret": 1})
        completed_at = (
            None
            if finished_days_ago is None
            else timezone.now() - timedelta(days=finished_days_ago)
        )
        WorkflowExecution.objects.filter(id=execution.id).update(
            status=status, completed_at=completed_at, output={"n1": {"step": 1}}
        )
        node = NodeExecution.objects.get(execution=execution, node_id="n0")
        with connection.cursor() as cursor:
            cursor.execute(
                "INSERT INTO node_outputs (node_execution_id, attempt, output, created_at)"
                " VALUES (%s, 1, '{\"step\": 0}', now())",
                [node.pk],
            )
        return execution

    return run


def test_old_finished_executions_lose_their_payloads_but_keep_their_record(start: Any) -> None:
    old = start(status="succeeded", finished_days_ago=120)
    recent = start(status="failed", finished_days_ago=10)
    still_running = start(status="running", finished_days_ago=None)

    assert execution_payloads_prune(retention_days=90) == 1

    old.refresh_from_db()
    assert (old.status, old.input, old.output) == ("succeeded", {}, None)
    assert old.payloads_pruned_at is not None and old.completed_at is not None
    assert old.nodes.count() == 2  # the record of what ran stays
    assert not NodeOutput.objects.filter(node_execution__execution=old).exists()
    for kept in (recent, still_running):
        kept.refresh_from_db()
        assert kept.input == {"secret": 1} and kept.payloads_pruned_at is None
        assert NodeOutput.objects.filter(node_execution__execution=kept).exists()
    assert execution_payloads_prune(retention_days=90) == 0  # idempotent


def test_retention_must_be_positive() -> None:
    with pytest.raises(ValueError):
        execution_payloads_prune(retention_days=0)
