"""At-least-once delivery, exactly-once state: duplicates and races change nothing."""

from __future__ import annotations

import threading
import time

import pytest
from django.db import connection

from executions.dispatch import CeleryDispatcher, NodeRun
from executions.engine import node_run
from executions.models import NodeOutput, WorkflowExecution
from executions.services import execution_start
from tests.graphs import chain, transform
from tests.integration.conftest import nodes_by_id, wait_finished
from workflows.services import workflow_create

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


def test_the_same_node_message_delivered_twice_runs_the_node_once(workers, user):
    workflow = workflow_create(owner_id=user.pk, name="dup", graph=chain(3))
    execution, _ = execution_start(owner_id=user.pk, workflow=workflow)
    message = NodeRun(str(execution.id), "n0", 1, "engine")
    # Three more copies of the root's message, as a redelivery after a lost ack would produce.
    CeleryDispatcher().publish([message, message, message])

    finished = wait_finished(execution.id)

    assert finished.status == "succeeded"
    assert finished.output == {"n2": {"step": 2}}
    for node in finished.nodes.all():
        assert node.attempt == 1
        assert node.inputs.count() == 1
    assert NodeOutput.objects.filter(node_execution__execution=finished).count() == 3
    deadline = time.monotonic() + 10
    while (
        workers.log_text().count(f"[{message.message_id}] succeeded") < 4
        and time.monotonic() < deadline
    ):
        time.sleep(0.1)
    log = workers.log_text()
    assert (
        log.count(f"run_node[{message.message_id}] succeeded") == 4
    )  # all four copies were delivered
    assert "'duplicate'" in log


def test_two_connections_racing_for_one_claim_exactly_one_wins(workers, user, monkeypatch):
    # Not published: the four threads below are the only contenders for the claim.
    monkeypatch.setattr("executions.services.publish_on_commit", lambda runs: None)
    workflow = workflow_create(
        owner_id=user.pk, name="race", graph={"nodes": [transform("only", 1)], "edges": []}
    )
    execution, _ = execution_start(owner_id=user.pk, workflow=workflow)
    outcomes: list[str] = []
    barrier = threading.Barrier(4)

    def contend() -> None:
        try:
            barrier.wait()
            outcomes.append(node_run(execution_id=str(execution.id), node_id="only", attempt=1))
        finally:
            connection.close()

    threads = [threading.Thread(target=contend) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    finished = wait_finished(execution.id)

    assert sorted(outcomes) == ["duplicate", "duplicate", "duplicate", "succeeded"]
    assert finished.status == "succeeded"
    assert NodeOutput.objects.filter(node_execution__execution=finished).count() == 1
    assert nodes_by_id(finished)["only"].inputs.count() == 1


def test_a_late_result_from_an_old_attempt_is_ignored(workers, user):
    workflow = workflow_create(owner_id=user.pk, name="late", graph=chain(2))
    execution, _ = execution_start(owner_id=user.pk, workflow=workflow)
    finished = wait_finished(execution.id)

    # Replaying attempt 1 after it finished (a stale message) claims nothing.
    assert node_run(execution_id=str(execution.id), node_id="n0", attempt=1) == "duplicate"
    assert node_run(execution_id=str(execution.id), node_id="n1", attempt=7) == "duplicate"
    assert WorkflowExecution.objects.get(id=finished.id).status == "succeeded"
    assert NodeOutput.objects.filter(node_execution__execution=finished).count() == 2
