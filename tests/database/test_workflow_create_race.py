"""Two creations of one workflow name by one owner, racing on two connections, give exactly
one workflow and one clear conflict (the owner's advisory lock plus the unique constraint)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.db import connection, transaction
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from tests.graphs import chain
from workflows.exceptions import WorkflowNameTaken
from workflows.models import Workflow
from workflows.services import workflow_create
from workflows.sqlfile import sql

pytestmark = pytest.mark.django_db(transaction=True)


def in_threads(*calls: Callable[[], Any]) -> list[Any]:
    """Runs each call on its own thread (so its own database connection) and returns what
    each returned or raised."""
    results: list[Any] = [None] * len(calls)
    start = threading.Barrier(len(calls))

    def run(index: int, call: Callable[[], Any]) -> None:
        try:
            start.wait()
            results[index] = call()
        except Exception as error:
            results[index] = error
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=item) for item in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return results


def waiting_advisory_locks() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted")
        return int(cursor.fetchone()[0])


@pytest.fixture
def owner() -> Any:
    return get_user_model().objects.create_user(username="racer")


def test_two_concurrent_creations_give_one_workflow_and_one_conflict(owner: Any) -> None:
    def create() -> Workflow:
        return workflow_create(owner_id=owner.pk, name="nightly", graph=chain(2))

    results = in_threads(create, create)

    assert sorted(type(result).__name__ for result in results) == [
        "Workflow",
        "WorkflowNameTaken",
    ]
    assert Workflow.objects.filter(owner=owner, name="nightly").count() == 1


def test_the_second_creation_waits_for_the_owners_lock_then_reports_the_name(owner: Any) -> None:
    holding = threading.Event()
    release = threading.Event()

    def first() -> Workflow:
        with transaction.atomic():
            sql.execute("workflow_owner_lock", owner_id=owner.pk)
            workflow = Workflow.objects.create(owner=owner, name="nightly")
            holding.set()
            release.wait(timeout=20)
            return workflow

    def second() -> Workflow:
        holding.wait(timeout=20)
        return workflow_create(owner_id=owner.pk, name="nightly", graph=chain(2))

    def watch() -> int:
        deadline = time.monotonic() + 20
        while waiting_advisory_locks() == 0 and time.monotonic() < deadline:
            time.sleep(0.02)
        waited = waiting_advisory_locks()
        release.set()
        return waited

    created, conflict, waited = in_threads(first, second, watch)

    assert waited == 1  # the second creation really queued behind the first one's lock
    assert isinstance(created, Workflow)
    assert isinstance(conflict, WorkflowNameTaken)
    assert "nightly" in str(conflict)


def test_racing_api_creations_answer_201_and_409(owner: Any) -> None:
    token = Token.objects.create(user=owner).key

    def post() -> tuple[int, Any]:
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
        response = client.post(
            "/api/workflows/", {"name": "nightly", "graph": chain(2)}, format="json"
        )
        return response.status_code, response.json()

    results = in_threads(post, post)

    assert sorted(status for status, _ in results) == [201, 409]
    conflict = next(body for status, body in results if status == 409)
    assert conflict["field"] == "name"
    assert Workflow.objects.filter(owner=owner).count() == 1
