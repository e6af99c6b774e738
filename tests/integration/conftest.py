"""Fixtures for tests against real PostgreSQL, RabbitMQ and Celery worker processes."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import connection

from executions import dispatch
from executions.models import EXECUTION_TERMINAL, WorkflowExecution
from executions.selectors import execution_get
from executions.services import execution_start
from tests.integration.services import Workers, broker_base_url, private_vhost
from tests.required import unavailable
from workflows.services import workflow_create
from zzyra.celery import app as celery_app

pytestmark = pytest.mark.integration


def _database_url() -> str:
    config = connection.settings_dict
    if connection.vendor != "postgresql":
        unavailable("integration tests need PostgreSQL")
    host = config["HOST"] or "localhost"
    if host.startswith("/"):
        return f"postgresql://{config['USER']}@/{config['NAME']}?host={host}"
    password = f":{config['PASSWORD']}" if config["PASSWORD"] else ""
    return (
        f"postgresql://{config['USER']}{password}@{host}:{config['PORT'] or 5432}/{config['NAME']}"
    )


def use_broker(url: str) -> None:
    """Point this process's publisher at `url`, dropping pooled connections to the old one."""
    celery_app.conf.update(broker_url=url, broker_read_url=url, broker_write_url=url)
    celery_app._pool = None  # type: ignore[attr-defined]
    celery_app.amqp._producer_pool = None  # type: ignore[attr-defined]


@pytest.fixture(scope="session")
def broker_url() -> Iterator[str]:
    with private_vhost(broker_base_url()) as url:
        use_broker(url)
        settings.ZZYRA_DISPATCHER = "celery"
        dispatch.dispatcher.cache_clear()
        yield url


@pytest.fixture(scope="session")
def workers(
    django_db_setup: None,
    django_db_blocker: Any,
    broker_url: str,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Workers]:
    """Two worker processes, as the issue asks: node runs really cross processes."""
    with django_db_blocker.unblock():
        database_url = _database_url()
    pool = Workers(broker_url, database_url, Path(tmp_path_factory.mktemp("workers")))
    pool.start(count=2, concurrency=2)
    yield pool
    pool.stop()


@pytest.fixture
def user(transactional_db: None) -> Iterator[Any]:
    # No password: hashing one costs a second of PBKDF2 per test.
    yield get_user_model().objects.create_user(username=f"user-{time.monotonic_ns()}")
    _wait_until_quiet()


def _wait_until_quiet(timeout_seconds: float = 30) -> None:
    """Let workers finish what a test started before the database is flushed under them."""
    deadline = time.monotonic() + timeout_seconds
    while time.monotonic() < deadline:
        if not WorkflowExecution.objects.exclude(status__in=EXECUTION_TERMINAL).exists():
            return
        time.sleep(0.05)


def wait_finished(execution_id: Any, timeout_seconds: float = 60) -> WorkflowExecution:
    deadline = time.monotonic() + timeout_seconds
    while time.monotonic() < deadline:
        status = WorkflowExecution.objects.values_list("status", flat=True).get(id=execution_id)
        if status in EXECUTION_TERMINAL:
            return execution_get(owner_id=None, execution_id=execution_id)
        time.sleep(0.05)
    execution = execution_get(owner_id=None, execution_id=execution_id)
    states = {node.node_id: node.status for node in execution.nodes.all()}
    raise AssertionError(
        f"execution {execution_id} still {execution.status} after {timeout_seconds} s: {states}"
    )


@pytest.fixture
def run_graph(workers: Workers, user: Any) -> Callable[..., WorkflowExecution]:
    """Save a graph as a workflow, start it with `input`, and wait for its end."""

    def run(
        graph: dict[str, Any], input: Any = None, timeout_seconds: float = 60, **start: Any
    ) -> WorkflowExecution:
        workflow = workflow_create(owner_id=user.pk, name=f"wf-{time.monotonic_ns()}", graph=graph)
        execution, _ = execution_start(
            owner_id=user.pk, workflow=workflow, input=input or {}, **start
        )
        return wait_finished(execution.id, timeout_seconds)

    return run


def nodes_by_id(execution: WorkflowExecution) -> dict[str, Any]:
    return {node.node_id: node for node in execution.nodes.all()}


@pytest.fixture
def http_sink() -> Iterator[Any]:
    from tests.http_sink import running_sink

    with running_sink() as sink:
        yield sink
