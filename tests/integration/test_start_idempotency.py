"""Starting with the same Idempotency-Key twice gives one execution."""

from __future__ import annotations

import threading

import pytest
from django.db import connection

from executions.exceptions import IdempotencyKeyReused
from executions.models import WorkflowExecution
from executions.services import execution_start
from tests.graphs import chain
from workflows.services import workflow_create

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


def test_same_key_twice_returns_the_first_execution(workers, user):
    workflow = workflow_create(owner_id=user.pk, name="once", graph=chain(2))

    first, created_first = execution_start(
        owner_id=user.pk, workflow=workflow, idempotency_key="order-42"
    )
    second, created_second = execution_start(
        owner_id=user.pk, workflow=workflow, idempotency_key="order-42"
    )

    assert (created_first, created_second) == (True, False)
    assert first.id == second.id
    assert WorkflowExecution.objects.filter(idempotency_key="order-42").count() == 1


def test_concurrent_starts_with_one_key_make_one_execution(workers, user):
    workflow = workflow_create(owner_id=user.pk, name="race", graph=chain(2))
    results: list[str] = []
    barrier = threading.Barrier(5)

    def start() -> None:
        try:
            barrier.wait()
            execution, _ = execution_start(owner_id=user.pk, workflow=workflow, idempotency_key="k")
            results.append(str(execution.id))
        finally:
            connection.close()

    threads = [threading.Thread(target=start) for _ in range(5)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert len(results) == 5
    assert len(set(results)) == 1
    assert WorkflowExecution.objects.filter(idempotency_key="k").count() == 1


def test_a_key_reused_for_another_workflow_is_a_conflict(workers, user):
    one = workflow_create(owner_id=user.pk, name="one", graph=chain(1))
    other = workflow_create(owner_id=user.pk, name="other", graph=chain(1))
    execution_start(owner_id=user.pk, workflow=one, idempotency_key="shared")

    with pytest.raises(IdempotencyKeyReused):
        execution_start(owner_id=user.pk, workflow=other, idempotency_key="shared")
