"""The baseline: the same shapes as plain Celery chains of no-op tasks.

Same broker, same queue (`engine`), same worker processes and Celery settings (late acks,
prefetch 1, publisher confirms), no ledger. The chain's last task writes one row with
`clock_timestamp()`; latency is that minus the scheduled send time. The ratio of the engine's
latency to this one is what durability costs per shape.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

import psycopg
from celery import chain

from benchmarks.load import Finished
from benchmarks.shapes import Shape
from benchmarks.tasks import COMPLETIONS_TABLE, CREATE_COMPLETIONS_TABLE, noop, noop_finish

BASELINE_QUEUE = "engine"


class BaselineTarget:
    def __init__(self, *, shape: Shape, database_url: str) -> None:
        self.name = "baseline"
        self.shape = shape
        self.database_url = database_url
        self._connection = psycopg.connect(database_url, autocommit=True)
        self._connection.execute(CREATE_COMPLETIONS_TABLE)
        self._run_ids: list[str] = []

    def send(self, index: int) -> str:
        run_id = f"{self.shape.name}-{uuid.uuid4().hex}"
        steps = [noop.si() for _ in range(self.shape.length - 1)]
        chain(*steps, noop_finish.si(run_id)).apply_async(queue=BASELINE_QUEUE)
        self._run_ids.append(run_id)
        return run_id

    def poll(self, run_ids: Sequence[str]) -> dict[str, Finished]:
        rows = self._connection.execute(
            f"SELECT run_id, extract(epoch FROM completed_at) FROM {COMPLETIONS_TABLE} "
            "WHERE run_id = ANY(%(ids)s)",
            {"ids": list(run_ids)},
        )
        return {run_id: Finished(True, float(completed)) for run_id, completed in rows}

    def close(self) -> None:
        try:
            self._connection.execute(
                f"DELETE FROM {COMPLETIONS_TABLE} WHERE run_id = ANY(%(ids)s)",
                {"ids": self._run_ids},
            )
        finally:
            self._connection.close()


def ratios(engine: dict[str, Any], baseline: dict[str, Any]) -> dict[str, float | None]:
    """engine / baseline latency at P50 and P95: the engine's overhead as a factor."""
    found: dict[str, float | None] = {}
    for key in ("p50", "p95"):
        ours, theirs = engine["latency_ms"][key], baseline["latency_ms"][key]
        found[key] = round(ours / theirs, 2) if ours and theirs else None
    return found
