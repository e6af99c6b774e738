"""Pure nodes (transform, condition) run inside the transaction that claims them."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection

from executions import engine
from executions.engine import node_run
from executions.services import execution_start
from tests.graphs import chain, graph, transform
from tests.integration.conftest import nodes_by_id, wait_finished
from workflows.services import workflow_create

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


def _row_versions(execution_id: Any) -> set[int]:
    """The transaction that last wrote each node row (xmin)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT xmin::text::bigint FROM node_executions WHERE execution_id = %s",
            [execution_id],
        )
        return {row[0] for row in cursor.fetchall()}


def test_a_chain_of_pure_nodes_is_one_transaction_with_real_node_times(run_graph):
    finished = run_graph(chain(3))

    assert finished.status == "succeeded" and finished.output == {"n2": {"step": 2}}
    assert len(_row_versions(finished.id)) == 1  # one worker transaction wrote all three
    nodes = nodes_by_id(finished)
    # Times are the clock when each statement ran, not the shared transaction start.
    assert nodes["n0"].completed_at <= nodes["n1"].started_at < nodes["n1"].completed_at
    assert nodes["n1"].completed_at <= nodes["n2"].started_at < nodes["n2"].completed_at
    assert finished.started_at <= nodes["n0"].started_at
    assert finished.completed_at >= nodes["n2"].completed_at


def test_a_pure_node_whose_transaction_fails_runs_again_outside_one(user, monkeypatch):
    # Not published: this test delivers the root's message itself.
    monkeypatch.setattr("executions.services.publish_on_commit", lambda runs: None)
    workflow = workflow_create(
        owner_id=user.pk, name="fallback", graph=graph([transform("only", {"ok": True})], [])
    )
    execution, _ = execution_start(owner_id=user.pk, workflow=workflow)
    record_outcome = engine._record_outcome
    calls: list[str] = []

    def fails_once(*args: Any, **kwargs: Any) -> Any:
        calls.append("call")
        if len(calls) == 1:
            raise RuntimeError("the database refused the outcome")
        return record_outcome(*args, **kwargs)

    monkeypatch.setattr(engine, "_record_outcome", fails_once)

    assert node_run(execution_id=str(execution.id), node_id="only", attempt=1) == "succeeded"

    finished = wait_finished(execution.id)
    assert finished.status == "succeeded" and finished.output == {"only": {"ok": True}}
    node = nodes_by_id(finished)["only"]
    # The failed transaction left nothing behind: one attempt, one recorded input.
    assert node.attempt == 1 and node.inputs.count() == 1
    assert len(calls) == 2


def test_a_config_rendering_a_nul_character_fails_the_node_instead_of_its_claim(run_graph):
    # jsonb cannot store NUL: recording the rendered input would fail the claim transaction on
    # every delivery, and the relay would deliver it forever.
    finished = run_graph(graph([transform("nul", "{{ 'a' ~ '\\x00' ~ 'b' }}")], []))

    assert finished.status == "failed"
    assert "NUL character" in finished.error
    assert nodes_by_id(finished)["nul"].attempt == 1
