"""The baseline's Celery tasks, imported by the benchmark's workers with `-I benchmarks.tasks`.

`noop` is the least a Celery task can do; a chain of them is what the same shape costs with no
ledger at all. The chain's last task, `noop_finish`, writes one completion timestamp so the
benchmark can measure send-to-done latency without a result backend (the engine has none).
Importing this module also installs the optional in-worker profiler (benchmarks.profiling).
"""

from __future__ import annotations

from celery import shared_task
from django.db import connection

from benchmarks import profiling

COMPLETIONS_TABLE = "bench_baseline_completions"
CREATE_COMPLETIONS_TABLE = f"""
CREATE TABLE IF NOT EXISTS {COMPLETIONS_TABLE} (
    run_id text PRIMARY KEY,
    completed_at timestamptz NOT NULL DEFAULT clock_timestamp()
)
"""


@shared_task(name="benchmarks.noop", ignore_result=True)
def noop() -> None:
    return None


@shared_task(name="benchmarks.noop_finish", ignore_result=True)
def noop_finish(run_id: str) -> None:
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {COMPLETIONS_TABLE} (run_id) VALUES (%s) ON CONFLICT DO NOTHING",
            [run_id],
        )


profiling.install_if_enabled()
