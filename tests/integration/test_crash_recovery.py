"""Crash safety, one mechanism at a time: lost workers, leases, relay, poison, cancel, SIGTERM.

Workers run with a one-second heartbeat (tests/integration/services.py); each test shortens the
stale limit of the nodes it starts, so a lost worker is noticed in seconds.
"""

from __future__ import annotations

import os
import signal
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

import pytest
from django.db import connection
from django.utils import timezone

from executions.exceptions import ExecutionAlreadyFinished
from executions.models import NodeExecution, NodeOutput, NodeStatus
from executions.services import execution_cancel, execution_start, nodes_relay, nodes_sweep
from tests.graphs import edge, graph, http, transform
from tests.integration.conftest import nodes_by_id, use_broker, wait_finished
from workflows.services import workflow_create

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def short_leases(settings: Any) -> None:
    settings.ZZYRA_STALE_SECONDS = 4


@contextmanager
def sweeping(interval_seconds: float = 0.5) -> Iterator[None]:
    """What celery beat does in production, on a thread: sweep stale nodes periodically."""
    stop = threading.Event()

    def loop() -> None:
        try:
            while not stop.wait(interval_seconds):
                nodes_sweep()
        finally:
            connection.close()

    thread = threading.Thread(target=loop, daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join()


def start(user: Any, nodes: list[dict[str, Any]], edges: list[dict[str, Any]] | None = None) -> Any:
    workflow = workflow_create(
        owner_id=user.pk, name=f"crash-{time.monotonic_ns()}", graph=graph(nodes, edges)
    )
    execution, _ = execution_start(owner_id=user.pk, workflow=workflow)
    return execution


def wait_running(
    execution: Any, node_id: str, attempt: int = 1, timeout_seconds: float = 30
) -> NodeExecution:
    deadline = time.monotonic() + timeout_seconds
    while time.monotonic() < deadline:
        node = NodeExecution.objects.get(execution=execution, node_id=node_id)
        if node.status == NodeStatus.RUNNING and node.attempt == attempt:
            return node
        time.sleep(0.05)
    raise AssertionError(f"{node_id} attempt {attempt} never started running")


def wait_for(condition: Any, timeout_seconds: float = 30) -> None:
    deadline = time.monotonic() + timeout_seconds
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        time.sleep(0.02)


def process_of(node: NodeExecution) -> int:
    return int(node.worker.rsplit(":", 1)[1])


def parent_of(pid: int) -> int:
    with open(f"/proc/{pid}/stat") as stat:
        return int(stat.read().rsplit(")", 1)[1].split()[1])


def test_a_worker_killed_mid_node_is_retried_as_a_new_attempt(
    workers, user, http_sink, short_leases
):
    execution = start(
        user,
        [
            http("charge", f"{http_sink.url}/slow?seconds=2", method="POST"),
            transform("after", "done"),
        ],
        [edge("charge", "after")],
    )
    running = wait_running(execution, "charge")
    wait_for(lambda: http_sink.keys_for("/slow"))  # the request is in flight at the sink
    os.kill(process_of(running), signal.SIGKILL)

    with sweeping():
        finished = wait_finished(execution.id, timeout_seconds=60)

    charge = nodes_by_id(finished)["charge"]
    assert finished.status == "succeeded"
    assert (charge.attempt, charge.retry_count) == (2, 1)
    assert NodeOutput.objects.filter(node_execution=charge).count() == 1  # recorded once
    keys = http_sink.keys_for("/slow")
    assert len(keys) == 2 and len(set(keys)) == 1  # the retry carried the same Idempotency-Key
    assert finished.logs.filter(event="node_taken_back").count() == 1


def test_a_slow_node_that_heartbeats_keeps_its_lease(workers, user, http_sink, short_leases):
    execution = start(user, [http("slow", f"{http_sink.url}/slow?seconds=7")])

    with sweeping():
        finished = wait_finished(execution.id, timeout_seconds=60)

    slow = nodes_by_id(finished)["slow"]
    assert finished.status == "succeeded"
    assert slow.attempt == 1  # running past its 4 s stale limit, but never taken back
    assert not finished.logs.filter(event="node_taken_back").exists()
    assert len(http_sink.keys_for("/slow")) == 1


def test_ready_nodes_are_relayed_when_the_broker_was_unreachable_at_start(
    workers, user, broker_url
):
    use_broker("amqp://guest:guest@127.0.0.1:1//")  # nothing listens there
    try:
        execution = start(
            user, [transform("a", 1), transform("b", 2)], [edge("a", "b")]
        )  # still succeeds
        root = NodeExecution.objects.get(execution=execution, node_id="a")
        assert root.status == NodeStatus.READY  # nobody could be told; the ledger remembers
    finally:
        use_broker(broker_url)

    assert nodes_relay(grace_seconds=0, republish_after_seconds=300) == 1
    finished = wait_finished(execution.id)
    assert finished.status == "succeeded"
    assert finished.output == {"b": 2}


def test_a_node_that_kills_its_worker_every_time_ends_failed(
    workers, user, http_sink, short_leases
):
    poison = http("poison", f"{http_sink.url}/slow?seconds=3", retry={"max_attempts": 2})
    execution = start(user, [poison])

    with sweeping():
        for attempt in (1, 2):
            os.kill(process_of(wait_running(execution, "poison", attempt)), signal.SIGKILL)
        finished = wait_finished(execution.id, timeout_seconds=60)

    node = nodes_by_id(finished)["poison"]
    assert finished.status == "failed"
    assert node.status == "failed" and node.attempt == 2
    assert "worker lost" in finished.error and "no attempts left" in finished.error


def test_cancelling_mid_run_aborts_the_http_call_and_starts_nothing_new(workers, user, http_sink):
    execution = start(
        user,
        [
            transform("start", 1),
            http("slow", f"{http_sink.url}/slow?seconds=30"),
            transform("after", 2),
        ],
        [edge("start", "slow"), edge("slow", "after")],
    )
    wait_running(execution, "slow")
    cancelled_at = time.monotonic()

    execution_cancel(execution_id=execution.id, actor_id=user.pk)
    finished = wait_finished(execution.id, timeout_seconds=20)

    nodes = nodes_by_id(finished)
    assert finished.status == "cancelled"
    assert time.monotonic() - cancelled_at < 10  # aborted, not waited out
    assert nodes["start"].status == "succeeded"
    assert nodes["slow"].status == "cancelled" and "aborted" in nodes["slow"].error
    assert nodes["after"].status == "cancelled"
    assert finished.cancelled_by_id == user.pk
    with pytest.raises(ExecutionAlreadyFinished):
        execution_cancel(execution_id=execution.id, actor_id=user.pk)


def test_sigterm_lets_the_worker_finish_its_running_node(workers, user, http_sink):
    execution = start(
        user,
        [http("slow", f"{http_sink.url}/slow?seconds=3"), transform("after", 1)],
        [edge("slow", "after")],
    )
    running = wait_running(execution, "slow")
    main_process = parent_of(process_of(running))
    index = next(i for i, process in enumerate(workers.processes) if process.pid == main_process)

    os.kill(main_process, signal.SIGTERM)
    finished = wait_finished(execution.id, timeout_seconds=60)
    exit_code = workers.processes[index].wait(timeout=30)
    workers.wait_ready(workers.start_one())  # keep two workers for the tests that follow

    slow = nodes_by_id(finished)["slow"]
    assert finished.status == "succeeded"
    assert slow.attempt == 1 and slow.retry_count == 0  # finished, not taken back or redone
    assert len(http_sink.keys_for("/slow")) == 1
    assert exit_code == 0


def test_two_sweepers_racing_take_a_node_back_once(workers, user, http_sink, short_leases):
    execution = start(user, [http("slow", f"{http_sink.url}/slow?seconds=2")])
    running = wait_running(execution, "slow")
    os.kill(process_of(running), signal.SIGKILL)
    NodeExecution.objects.filter(id=running.id).update(
        heartbeat_at=timezone.now() - timedelta(hours=1)
    )
    barrier = threading.Barrier(2)
    swept: list[int] = []

    def sweeper() -> None:
        try:
            barrier.wait()
            swept.append(nodes_sweep())
        finally:
            connection.close()

    threads = [threading.Thread(target=sweeper) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    finished = wait_finished(execution.id, timeout_seconds=60)

    assert sorted(swept) == [0, 1]
    assert finished.status == "succeeded"
    assert nodes_by_id(finished)["slow"].attempt == 2
    assert finished.logs.filter(event="node_taken_back").count() == 1
