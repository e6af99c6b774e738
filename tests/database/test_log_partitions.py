"""Logs are partitioned by month: partitions exist ahead, a missing month never refuses a
write, and retention drops whole months."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.contrib.auth import get_user_model
from django.db import connection

from database.partitions import log_partitions_ensure, log_partitions_prune
from executions.models import ExecutionLog, WorkflowExecution
from executions.services import execution_start
from tests.graphs import chain
from workflows.services import workflow_create

pytestmark = pytest.mark.django_db


def partitions(table: str) -> set[str]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT child.relname FROM pg_inherits"
            " JOIN pg_class child ON child.oid = inhrelid"
            " JOIN pg_class parent ON parent.oid = inhparent WHERE parent.relname = %s",
            [table],
        )
        return {row[0] for row in cursor.fetchall()}


def month_name(table: str, when: datetime) -> str:
    return f"{table}_p{when:%Y%m}"


def write_log(execution: WorkflowExecution, created_at: datetime, message: str) -> None:
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO execution_logs (execution_id, created_at, level, event, message)"
            " VALUES (%s, %s, 'info', 'test', %s)",
            [execution.id, created_at, message],
        )


def rows_in(table: str) -> int:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT count(*) FROM {table}")  # table names come from this test
        return int(cursor.fetchone()[0])


@pytest.fixture
def execution() -> WorkflowExecution:
    owner = get_user_model().objects.create_user(username="logs")
    workflow = workflow_create(owner_id=owner.pk, name="w", graph=chain(1))
    return execution_start(owner_id=owner.pk, workflow=workflow)[0]


@pytest.mark.parametrize("table", ["execution_logs", "node_logs"])
def test_both_log_tables_have_this_month_and_the_next_ones(table: str) -> None:
    log_partitions_ensure(months_ahead=3)
    now = datetime.now(UTC)
    expected = {f"{table}_default", month_name(table, now)}
    year, month = now.year, now.month
    for _ in range(3):
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
        expected.add(f"{table}_p{year}{month:02d}")
    assert expected <= partitions(table)


def test_a_log_for_a_month_without_partition_is_kept_and_moved_by_the_job(
    execution: WorkflowExecution,
) -> None:
    far = datetime(2031, 7, 4, 12, tzinfo=UTC)
    write_log(execution, far, "from the future")  # no partition yet: must not fail
    assert rows_in("execution_logs_default") == 1

    created = log_partitions_ensure(months_ahead=0)

    assert month_name("execution_logs", far) in created
    assert rows_in("execution_logs_default") == 0
    assert rows_in(month_name("execution_logs", far)) == 1
    assert ExecutionLog.objects.filter(message="from the future").exists()


def test_retention_drops_whole_old_months_and_keeps_recent_ones(
    execution: WorkflowExecution,
) -> None:
    write_log(execution, datetime(2026, 1, 10, tzinfo=UTC), "old")
    write_log(execution, datetime(2026, 3, 31, 23, 59, tzinfo=UTC), "end of march")
    write_log(execution, datetime(2026, 4, 2, tzinfo=UTC), "april")
    log_partitions_ensure(months_ahead=0)

    # 90 days before 2026-07-15 is 2026-04-16: January to March ended before it, April did not.
    dropped = log_partitions_prune(retention_days=90, now=datetime(2026, 7, 15, tzinfo=UTC))

    assert {"execution_logs_p202601", "execution_logs_p202603"} <= set(dropped)
    assert "execution_logs_p202604" not in dropped
    assert list(
        ExecutionLog.objects.filter(execution=execution, event="test").values_list(
            "message", flat=True
        )
    ) == ["april"]
