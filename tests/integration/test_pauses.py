"""Pauses through real RabbitMQ, PostgreSQL, two Celery worker processes and celery beat.

A waiting node holds no worker: it is a `paused` row plus a `workflow_pauses` row, resumed by
beat's pause scan (timers, expiries), a decision (REST, admin, command), an event, or an
operator. Each test asserts what a user would see: the branch that ran, the output, who
resumed the wait and when.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management import call_command
from django.db import close_old_connections
from django.test import Client
from rest_framework.test import APIClient

from audit.models import AuditLog
from executions.models import WorkflowExecution
from executions.services import execution_start
from pauses.models import ExternalEvent, WorkflowPause
from tests.graphs import edge, graph, http, transform
from tests.integration.conftest import nodes_by_id, wait_finished
from tests.integration.services import Beat, Workers
from workflows.services import workflow_create

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


def moment(value: datetime | None) -> datetime:
    """A timestamp the test expects to be set."""
    assert value is not None
    return value


# --- Graph builders and helpers ---------------------------------------------------------------


def delay(node_id: str, **config: Any) -> dict[str, Any]:
    return {"id": node_id, "type": "delay", "data": {"config": config}}


def approval(node_id: str, message: str, **config: Any) -> dict[str, Any]:
    return {"id": node_id, "type": "approval", "data": {"config": {"message": message, **config}}}


def wait_for_event(node_id: str, key: str, **config: Any) -> dict[str, Any]:
    return {"id": node_id, "type": "wait_for_event", "data": {"config": {"key": key, **config}}}


def approval_graph(**config: Any) -> dict[str, Any]:
    return graph(
        [
            approval("approve", "Pay {{ input.amount }}?", **config),
            transform("pay", "paid {{ input.amount }}"),
            transform("refuse", "refused"),
        ],
        [edge("approve", "pay", "approved"), edge("approve", "refuse", "rejected")],
    )


def api_for(user: Any) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def make_user(name: str, **extra: Any) -> Any:
    return get_user_model().objects.create_user(username=f"{name}-{time.monotonic_ns()}", **extra)


def wait_until(predicate: Callable[[], Any], what: str, timeout_seconds: float = 30) -> Any:
    deadline = time.monotonic() + timeout_seconds
    while time.monotonic() < deadline:
        found = predicate()
        if found:
            return found
        time.sleep(0.05)
    raise AssertionError(f"timed out after {timeout_seconds} s waiting for {what}")


def open_pause(execution_id: Any, kind: str | None = None) -> WorkflowPause:
    def find() -> WorkflowPause | None:
        pauses = WorkflowPause.objects.filter(execution_id=execution_id, resumed_at__isnull=True)
        return (pauses.filter(kind=kind) if kind else pauses).first()

    return wait_until(find, f"an open pause on execution {execution_id}")


def status_of(execution_id: Any) -> str:
    return WorkflowExecution.objects.values_list("status", flat=True).get(id=execution_id)


@pytest.fixture
def start(workers: Workers, user: Any) -> Callable[..., WorkflowExecution]:
    """Save a graph and start it, without waiting for its end."""

    def run(graph_: dict[str, Any], input: Any = None, owner: Any = None) -> WorkflowExecution:
        owner = owner or user
        workflow = workflow_create(
            owner_id=owner.pk, name=f"wf-{time.monotonic_ns()}", graph=graph_
        )
        execution, _ = execution_start(owner_id=owner.pk, workflow=workflow, input=input or {})
        return execution

    return run


@pytest.fixture
def beat(workers: Workers, tmp_path: Path) -> Iterator[Beat]:
    """celery beat for one test: started after the previous test's flush re-registered the
    periodic jobs, stopped before this test's flush removes them."""
    process = Beat(workers.broker_url, workers.database_url, tmp_path)
    process.start()
    yield process
    process.stop()


# --- delay -------------------------------------------------------------------------------------


def test_delay_is_resumed_by_the_beat_scan_within_two_seconds_of_its_due_time(start, beat):
    due_at = datetime.now(UTC) + timedelta(seconds=5)  # beyond the countdown: the scan's job
    execution = start(
        graph(
            [delay("wait", until="{{ input.at }}"), transform("after", "{{ input.at }}")],
            [edge("wait", "after")],
        ),
        input={"at": due_at.isoformat()},
    )
    pause = open_pause(execution.id, "timer")
    assert pause.resume_at == due_at
    # Waiting holds no worker: nothing runs, the node and the execution are paused.
    wait_until(lambda: status_of(execution.id) == "paused", "the execution to be paused")
    assert nodes_by_id(WorkflowExecution.objects.get(id=execution.id))["wait"].status == "paused"

    finished = wait_finished(execution.id, timeout_seconds=30)

    assert finished.status == "succeeded"
    pause.refresh_from_db()
    assert pause.decision == "elapsed" and pause.resumed_via == "scan"
    assert timedelta(0) <= moment(pause.resumed_at) - due_at < timedelta(seconds=2)
    nodes = nodes_by_id(finished)
    assert moment(nodes["after"].started_at) - due_at < timedelta(seconds=2)
    assert finished.output == {"after": due_at.isoformat()}


def test_a_short_delay_fires_on_time_and_zero_seconds_does_not_pause(start, beat):
    execution = start(
        graph(
            [delay("short", seconds=1), delay("none", seconds=0), transform("after", "done")],
            [edge("short", "none"), edge("none", "after")],
        )
    )
    finished = wait_finished(execution.id, timeout_seconds=30)

    assert finished.status == "succeeded"
    pauses = list(WorkflowPause.objects.filter(execution_id=execution.id))
    assert [pause.node_id for pause in pauses] == ["short"]
    assert moment(pauses[0].resumed_at) - moment(pauses[0].resume_at) < timedelta(seconds=2)


def test_a_delay_survives_a_restart_of_every_worker_and_beat(start, beat, workers):
    due_at = datetime.now(UTC) + timedelta(seconds=6)
    execution = start(
        graph(
            [delay("wait", until=due_at.isoformat()), transform("after", 1)],
            [edge("wait", "after")],
        )
    )
    pause = open_pause(execution.id, "timer")
    beat.stop()
    workers.stop()
    try:
        time.sleep(max(0.0, (due_at - datetime.now(UTC)).total_seconds()) + 1)
        assert status_of(execution.id) == "paused"  # nobody was there to resume it
    finally:
        workers.start_fresh(2)
        beat.start()
    restarted = datetime.now(UTC)

    finished = wait_finished(execution.id, timeout_seconds=30)

    assert finished.status == "succeeded"
    pause.refresh_from_db()
    assert pause.decision == "elapsed"
    assert moment(pause.resumed_at) - restarted < timedelta(seconds=5)
    assert WorkflowPause.objects.filter(execution_id=execution.id).count() == 1


# --- approval ----------------------------------------------------------------------------------


def test_an_approver_approves_through_rest_and_the_approved_branch_runs(start, user):
    approver, stranger = make_user("approver"), make_user("stranger")
    execution = start(approval_graph(approvers=[approver.pk]), input={"amount": 5})
    pause = open_pause(execution.id, "approval")
    wait_until(lambda: status_of(execution.id) == "paused", "the execution to be paused")

    listed = api_for(approver).get("/api/pauses/").json()
    assert [item["id"] for item in listed["results"]] == [pause.id]
    assert listed["results"][0]["context"] == {"message": "Pay 5?"}
    assert api_for(stranger).get("/api/pauses/").json()["results"] == []
    refused = api_for(stranger).post(f"/api/pauses/{pause.id}/approve/", {}, format="json")
    assert refused.status_code == 403

    approved = api_for(approver).post(
        f"/api/pauses/{pause.id}/approve/", {"data": {"note": "ok"}}, format="json"
    )
    assert approved.status_code == 200, approved.json()
    finished = wait_finished(execution.id)

    nodes = nodes_by_id(finished)
    assert finished.status == "succeeded"
    assert nodes["pay"].status == "succeeded" and nodes["refuse"].status == "skipped"
    output = nodes["approve"].output.output
    assert output["decision"] == "approved" and output["data"] == {"note": "ok"}
    assert output["decided_by"] == approver.pk
    # The execution view shows who resumed what, when and how.
    detail = api_for(user).get(f"/api/executions/{execution.id}/").json()
    (shown,) = detail["pauses"]
    assert shown["decision"] == "approved" and shown["resumed_via"] == "rest"
    assert shown["resumed_by"] == approver.username and shown["resumed_at"]
    again = api_for(user).post(f"/api/pauses/{pause.id}/reject/", {}, format="json")
    assert again.status_code == 409 and "already resumed" in again.json()["detail"]
    # The decision is in the append-only audit trail, once.
    audited = AuditLog.objects.filter(action="pause_resume", target_id=str(pause.id))
    assert [(entry.actor_id, entry.detail["decision"]) for entry in audited] == [
        (approver.pk, "approved")
    ]


def test_a_group_approver_rejects_with_the_management_command(start):
    finance = Group.objects.create(name=f"finance-{time.monotonic_ns()}")
    member = make_user("member")
    member.groups.add(finance)
    execution = start(approval_graph(approvers=[finance.name]), input={"amount": 900})
    pause = open_pause(execution.id, "approval")

    call_command(
        "pause_resume", str(pause.id), "--reject", "--user", member.username,
        "--data", '{"why": "too much"}',
    )  # fmt: skip
    finished = wait_finished(execution.id)

    nodes = nodes_by_id(finished)
    assert finished.status == "succeeded"
    assert nodes["refuse"].status == "succeeded" and nodes["pay"].status == "skipped"
    pause.refresh_from_db()
    assert (pause.decision, pause.resumed_via, pause.resumed_by_id) == (
        "rejected",
        "command",
        member.pk,
    )
    assert pause.resume_data == {"why": "too much"}


def test_an_operator_approves_from_the_admin(start):
    operator = make_user("operator", is_staff=True, is_superuser=True)
    execution = start(approval_graph(), input={"amount": 1})
    pause = open_pause(execution.id, "approval")
    client = Client()
    client.force_login(operator)

    listing = client.get("/admin/pauses/workflowpause/?state=open&kind=approval")
    assert listing.status_code == 200 and f">{pause.id}<" in listing.content.decode()
    response = client.post(
        "/admin/pauses/workflowpause/",
        {"action": "approve", "_selected_action": [pause.id]},
    )
    assert response.status_code == 302
    finished = wait_finished(execution.id)

    assert nodes_by_id(finished)["pay"].status == "succeeded"
    pause.refresh_from_db()
    assert (pause.decision, pause.resumed_via) == ("approved", "admin")
    page = client.get(f"/admin/executions/workflowexecution/{execution.id}/change/")
    assert "approved" in page.content.decode()


def test_an_expiry_follows_the_expired_edge(start, beat):
    execution = start(
        graph(
            [approval("approve", "Go?", expires_in=2), transform("late", "expired")],
            [edge("approve", "late", "expired")],
        )
    )
    finished = wait_finished(execution.id, timeout_seconds=30)

    assert finished.status == "succeeded"
    nodes = nodes_by_id(finished)
    assert nodes["late"].status == "succeeded"
    assert nodes["approve"].output.output["decision"] == "expired"
    pause = WorkflowPause.objects.get(execution_id=execution.id)
    assert (pause.decision, pause.resumed_via) == ("expired", "scan")


def test_an_expiry_without_an_expired_edge_fails_the_node_clearly(start, beat):
    execution = start(approval_graph(expires_in=1), input={"amount": 1})
    finished = wait_finished(execution.id, timeout_seconds=30)

    nodes = nodes_by_id(finished)
    assert finished.status == "failed"
    assert nodes["approve"].status == "failed"
    assert "expired" in nodes["approve"].error and "'expired'" in nodes["approve"].error
    assert "'approve'" in finished.error
    assert nodes["pay"].status == "cancelled" and nodes["refuse"].status == "cancelled"


def test_racing_resumes_leave_exactly_one_winner(start, user):
    execution = start(approval_graph(), input={"amount": 3})
    pause = open_pause(execution.id, "approval")
    barrier = threading.Barrier(2)
    codes: dict[str, int] = {}

    def decide(action: str) -> None:
        try:
            client = api_for(user)
            barrier.wait()
            codes[action] = client.post(
                f"/api/pauses/{pause.id}/{action}/", {}, format="json"
            ).status_code
        finally:
            close_old_connections()

    threads = [threading.Thread(target=decide, args=(action,)) for action in ("approve", "reject")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    finished = wait_finished(execution.id)

    assert sorted(codes.values()) == [200, 409], codes
    winner = "pay" if codes["approve"] == 200 else "refuse"
    loser = "refuse" if winner == "pay" else "pay"
    nodes = nodes_by_id(finished)
    assert nodes[winner].status == "succeeded" and nodes[loser].status == "skipped"
    assert nodes[winner].attempt == 1 and nodes[winner].inputs.count() == 1


# --- wait_for_event ----------------------------------------------------------------------------


def event_graph() -> dict[str, Any]:
    return graph(
        [
            wait_for_event("order", "order-{{ input.order }}"),
            transform("ship", "ship {{ nodes.order.output.sku }}"),
        ],
        [edge("order", "ship")],
    )


def test_an_event_posted_while_the_node_waits_resumes_it_with_the_payload(start, user):
    execution = start(event_graph(), input={"order": 42})
    pause = open_pause(execution.id, "event")
    assert pause.event_key == "order-42"

    posted = api_for(user).post(
        "/api/events/", {"key": "order-42", "payload": {"sku": "A7"}}, format="json"
    )
    assert posted.status_code == 202
    assert posted.json()["resumed_pauses"] == [pause.id]
    finished = wait_finished(execution.id)

    assert finished.status == "succeeded"
    assert finished.output == {"ship": "ship A7"}
    assert nodes_by_id(finished)["order"].output.output == {"sku": "A7"}


def test_an_event_posted_before_the_wait_is_kept_and_consumed_once(start, user):
    other = make_user("other")
    early = api_for(user).post(
        "/api/events/", {"key": "order-7", "payload": {"sku": "B2"}}, format="json"
    )
    assert early.status_code == 202 and early.json()["stored_for_later"] is True
    # Another user's event with the same key is not this user's to consume.
    api_for(other).post("/api/events/", {"key": "order-7", "payload": {"sku": "X"}}, format="json")

    first = wait_finished(start(event_graph(), input={"order": 7}).id)
    second = start(event_graph(), input={"order": 7})

    assert first.status == "succeeded" and first.output == {"ship": "ship B2"}
    event = ExternalEvent.objects.get(id=early.json()["event"])
    assert event.consumed_at is not None and len(event.resumed_pauses) == 1
    # The kept event was consumed by the first wait only: the second one waits for its own.
    pause = open_pause(second.id, "event")
    api_for(user).post("/api/events/", {"key": "order-7", "payload": {"sku": "C3"}}, format="json")
    assert wait_finished(second.id).output == {"ship": "ship C3"}
    pause.refresh_from_db()
    assert pause.decision == "received" and pause.resumed_via == "event"


# --- operator pause, cancel --------------------------------------------------------------------


def test_an_operator_pauses_and_resumes_a_running_execution(start, user, http_sink):
    execution = start(
        graph(
            [http("slow", f"{http_sink.url}/slow?seconds=1.5"), transform("next", "went on")],
            [edge("slow", "next")],
        )
    )
    client = api_for(user)
    wait_until(
        lambda: (
            nodes_by_id(WorkflowExecution.objects.get(id=execution.id))["slow"].status == "running"
        ),
        "the slow node to run",
    )
    paused = client.post(f"/api/executions/{execution.id}/pause/", {"reason": "maintenance"})
    assert paused.status_code == 201, paused.json()
    assert client.post(f"/api/executions/{execution.id}/pause/", {}).status_code == 409

    # The running node finishes and is recorded; nothing new starts.
    wait_until(
        lambda: (
            nodes_by_id(WorkflowExecution.objects.get(id=execution.id))["slow"].status
            == "succeeded"
        ),
        "the running node to finish",
    )
    time.sleep(1.5)
    held = WorkflowExecution.objects.get(id=execution.id)
    assert held.status == "paused"
    assert nodes_by_id(held)["next"].status == "ready"

    resumed = client.post(f"/api/executions/{execution.id}/resume/")
    assert resumed.status_code == 200, resumed.json()
    finished = wait_finished(execution.id)

    assert finished.status == "succeeded" and finished.output == {"next": "went on"}
    hold = WorkflowPause.objects.get(id=paused.json()["id"])
    assert nodes_by_id(finished)["next"].started_at > hold.resumed_at
    assert (hold.kind, hold.decision, hold.resumed_by_id) == ("operator", "resumed", user.pk)
    not_paused = client.post(f"/api/executions/{execution.id}/resume/")
    assert not_paused.status_code == 409 and "not paused" in not_paused.json()["detail"]


def test_cancelling_a_paused_execution_ends_it_cancelled(start, user):
    services = pytest.importorskip("executions.services")
    if not hasattr(services, "execution_cancel"):
        pytest.skip("needs execution_cancel (issue 3)")
    execution = start(approval_graph(), input={"amount": 2})
    pause = open_pause(execution.id, "approval")
    wait_until(lambda: status_of(execution.id) == "paused", "the execution to be paused")

    services.execution_cancel(execution_id=execution.id, actor_id=user.pk)
    finished = wait_finished(execution.id)

    assert finished.status == "cancelled"
    assert nodes_by_id(finished)["approve"].status == "cancelled"
    pause.refresh_from_db()
    assert pause.decision == "cancelled"
    late = api_for(user).post(f"/api/pauses/{pause.id}/approve/", {}, format="json")
    assert late.status_code == 409
