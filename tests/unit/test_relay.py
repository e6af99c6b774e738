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
def waiting_root() -> NodeExecution:
    """A ready root whose message went out an hour ago and was never claimed."""
    owner = get_user_model().objects.create_user(username="relay")
    workflow = workflow_create(owner_id=owner.pk, name="relay", graph=chain(2))
    execution, _ = execution_start(
        owner_id=owner.pk, workflow=workflow
    )  # on_commit never runs here
    an_hour_ago = timezone.now() - timedelta(hours=1)
    NodeExecution.objects.filter(execution=execution, node_id="n0").update(
        published_at=an_hour_ago, next_attempt_at=an_hour_ago
    )
    return NodeExecution.objects.get(execution=execution, node_id="n0")


def test_a_lost_message_is_republished_once_per_period(waiting_root: NodeExecution) -> None:
    first = sqlfile.fetch_all("nodes_republish_unclaimed", after_seconds=60, limit=10)
    again = sqlfile.fetch_all("nodes_republish_unclaimed", after_seconds=60, limit=10)

    assert [(str(row[0]), row[1], row[2]) for row in first] == [
        (str(waiting_root.execution_id), "n0", 1)
    ]
    assert again == []  # a queue backlog is not flooded with copies every relay pass


def test_never_published_nodes_wait_out_the_grace_period(waiting_root: NodeExecution) -> None:
    NodeExecution.objects.filter(id=waiting_root.id).update(published_at=None)

    assert sqlfile.fetch_all("nodes_unpublished", grace_seconds=3600, limit=10) == []
    NodeExecution.objects.filter(id=waiting_root.id).update(
        updated_at=timezone.now() - timedelta(hours=2)
    )
    assert [
        row[1] for row in sqlfile.fetch_all("nodes_unpublished", grace_seconds=3600, limit=10)
    ] == ["n0"]
