"""The ledger's invariants hold in the database itself, whatever the application sends."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.db import IntegrityError, connection, transaction

from executions.models import NodeExecution, WorkflowExecution
from executions.services import execution_start
from tests.graphs import chain
from workflows.services import workflow_create

pytestmark = pytest.mark.django_db


@pytest.fixture
def execution() -> WorkflowExecution:
    owner = get_user_model().objects.create_user(username="invariants")
    workflow = workflow_create(owner_id=owner.pk, name="w", graph=chain(2))
    started, _ = execution_start(owner_id=owner.pk, workflow=workflow)
    return started


def violated_constraint(statement: str, *params: Any) -> str | None:
    """The name of the constraint the database enforced, or None when it took the row."""
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(statement, params)
    except IntegrityError as error:
        return str(error.__cause__.diag.constraint_name)  # type: ignore[union-attr]
    return None


@pytest.mark.parametrize(
    ("statement", "constraint"),
    [
        (
            "UPDATE node_executions SET retry_count = 11 WHERE execution_id = %s",
            "node_retry_count_at_most_10",
        ),
        (
            "UPDATE node_executions SET status = 'exploded' WHERE execution_id = %s",
            "node_status_valid",
        ),
        ("UPDATE node_executions SET attempt = 0 WHERE execution_id = %s", "node_attempt_positive"),
        ("UPDATE workflow_executions SET status = 'lost' WHERE id = %s", "execution_status_valid"),
    ],
)
def test_the_database_rejects_rows_that_break_an_invariant(
    execution: WorkflowExecution, statement: str, constraint: str
) -> None:
    assert violated_constraint(statement, execution.id) == constraint


def test_one_node_execution_per_execution_and_node(execution: WorkflowExecution) -> None:
    existing = NodeExecution.objects.filter(execution=execution).first()
    assert existing is not None
    with pytest.raises(IntegrityError, match="node_execution_unique_per_execution"):
        NodeExecution.objects.create(
            execution=execution, node_id=existing.node_id, node_type="transform", queue="engine"
        )


def test_retry_count_up_to_ten_is_accepted(execution: WorkflowExecution) -> None:
    assert (
        violated_constraint(
            "UPDATE node_executions SET retry_count = 10 WHERE execution_id = %s", execution.id
        )
        is None
    )
