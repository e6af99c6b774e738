"""The relay's queries: what it publishes again, and that it does not loop on a backlog."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone

from executions import sqlfile
from executions.models import NodeExecution
from executions.services import execution_start
from tests.graphs import chain
from workflows.services import workflow_create

pytestmark = pytest.mark.django_db


@pytest.fixture
def ready_root() -> NodeExecution:
    """A ready root nobody has claimed (on_commit never runs here, so nothing was published)."""
    owner = get_user_model().objects.create_user(username="relay")
    workflow = workflow_create(owner_id=owner.pk, name="relay", graph=chain(2))
    execution, _ = execution_start(owner_id=owner.pk, workflow=workflow)
    return NodeExecution.objects.get(execution=execution, node_id="n0")


def take(grace_seconds: int = 5, period_seconds: int = 60) -> list[str]:
    rows = sqlfile.fetch_all(
        "nodes_relay_take", grace_seconds=grace_seconds, period_seconds=period_seconds, limit=10
    )
    return [row[1] for row in rows]


def test_a_node_ready_just_now_is_left_to_its_message(ready_root: NodeExecution) -> None:
    assert take(grace_seconds=3600) == []


def test_an_unclaimed_node_is_relayed_once_per_period(ready_root: NodeExecution) -> None:
    an_hour_ago = timezone.now() - timedelta(hours=1)
    NodeExecution.objects.filter(id=ready_root.id).update(next_attempt_at=an_hour_ago)

    assert take() == ["n0"]
    assert take() == []  # a queue backlog is not flooded with copies on every pass
    NodeExecution.objects.filter(id=ready_root.id).update(relayed_at=an_hour_ago)
    assert take() == ["n0"]  # a full period later, it goes out again


def test_a_run_the_broker_refused_is_taken_on_the_next_pass(ready_root: NodeExecution) -> None:
    NodeExecution.objects.filter(id=ready_root.id).update(
        next_attempt_at=timezone.now() - timedelta(hours=1)
    )
    assert take() == ["n0"]

    sqlfile.execute(
        "nodes_relay_release",
        execution_ids=[str(ready_root.execution_id)],
        node_ids=["n0"],
        attempts=[1],
    )

    assert take() == ["n0"]


def test_waiting_children_are_not_relayed(ready_root: NodeExecution) -> None:
    NodeExecution.objects.filter(execution_id=ready_root.execution_id).update(
        next_attempt_at=timezone.now() - timedelta(hours=1)
    )
    assert take() == ["n0"]  # n1 is pending, not ready
