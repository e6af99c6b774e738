"""An opt-in profiler inside the worker processes: where a node hop's time goes.

Enabled when ZZYRA_BENCH_PROFILE_DIR is set (`manage.py bench --profile`). For each
`executions.run_node` task it times every SQL statement (named after its block in
executions/sql, or after the ORM table it touches), every COMMIT, every broker publish, and the
task as a whole; the rest is Python. Each worker child writes its totals to
`<dir>/<pid>.json` now and then and when it exits; `profile_merge` adds them up.

It observes through Django's execute wrappers and Celery signals and changes no engine code.
The one patch, timing `_commit` on the connection class, exists only in a profiled worker.
"""

from __future__ import annotations

import json
import os
import re
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

ENVIRONMENT_VARIABLE = "ZZYRA_BENCH_PROFILE_DIR"
DUMP_EVERY_TASKS = 500
PROFILED_TASK = "executions.run_node"

_totals: dict[str, list[float]] = defaultdict(lambda: [0, 0.0])  # name -> [calls, seconds]
_state: dict[str, Any] = {"in_task": False, "task_started": 0.0, "tasks": 0, "publish": 0.0}
_sql_names: dict[str, str] = {}
_orm_table = re.compile(r'"(\w+)"')


def _record(name: str, seconds: float) -> None:
    entry = _totals[name]
    entry[0] += 1
    entry[1] += seconds


def statement_name(sql: str) -> str:
    if not _sql_names:
        from executions import sqlfile

        _sql_names.update({text: name for name, text in sqlfile.queries().items()})
    if sql in _sql_names:
        return f"sql {_sql_names[sql]}"
    verb = sql.split(None, 1)[0].upper() if sql.strip() else "?"
    table = _orm_table.search(sql)
    return f"orm {verb} {table.group(1) if table else '?'}"


def _sql_wrapper(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
    if not _state["in_task"]:
        return execute(sql, params, many, context)
    started = time.perf_counter()
    try:
        return execute(sql, params, many, context)
    finally:
        _record(statement_name(sql), time.perf_counter() - started)


def install_if_enabled() -> None:
    directory = os.environ.get(ENVIRONMENT_VARIABLE)
    if not directory:
        return
    from celery import signals
    from django.db import connection
    from django.db.backends.base.base import BaseDatabaseWrapper

    original_commit = BaseDatabaseWrapper._commit  # type: ignore[attr-defined]

    def timed_commit(self: BaseDatabaseWrapper) -> None:
        started = time.perf_counter()
        try:
            original_commit(self)
        finally:
            if _state["in_task"]:
                _record("COMMIT", time.perf_counter() - started)

    BaseDatabaseWrapper._commit = timed_commit  # type: ignore[attr-defined]

    @signals.task_prerun.connect(weak=False)
    def on_prerun(sender: Any = None, **_: Any) -> None:
        if getattr(sender, "name", None) != PROFILED_TASK:
            return
        # Installed lazily: the connection object is per thread and Celery resets it at fork.
        if _sql_wrapper not in connection.execute_wrappers:
            connection.execute_wrappers.append(_sql_wrapper)
        _state["in_task"] = True
        _state["task_started"] = time.perf_counter()

    @signals.task_postrun.connect(weak=False)
    def on_postrun(sender: Any = None, **_: Any) -> None:
        if not _state["in_task"]:
            return
        _state["in_task"] = False
        _record("task total", time.perf_counter() - _state["task_started"])
        _state["tasks"] += 1
        if _state["tasks"] % DUMP_EVERY_TASKS == 0:
            _dump(Path(directory))

    @signals.before_task_publish.connect(weak=False)
    def on_before_publish(**_: Any) -> None:
        _state["publish"] = time.perf_counter()

    @signals.after_task_publish.connect(weak=False)
    def on_after_publish(**_: Any) -> None:
        if _state["in_task"]:
            _record("publish (broker confirm)", time.perf_counter() - _state["publish"])

    @signals.worker_process_shutdown.connect(weak=False)
    def on_shutdown(**_: Any) -> None:
        _dump(Path(directory))


def _dump(directory: Path) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{os.getpid()}.json"
    temporary = path.with_suffix(".tmp")
    temporary.write_text(json.dumps({name: list(entry) for name, entry in _totals.items()}))
    temporary.replace(path)


def profile_merge(directory: Path) -> dict[str, Any]:
    """Totals of every worker child: per name, calls per task and mean ms per task."""
    merged: dict[str, list[float]] = defaultdict(lambda: [0, 0.0])
    for path in directory.glob("*.json"):
        for name, (calls, seconds) in json.loads(path.read_text()).items():
            merged[name][0] += calls
            merged[name][1] += seconds
    tasks = merged.get("task total", [0, 0.0])[0]
    if not tasks:
        return {"tasks": 0}
    accounted = sum(seconds for name, (_, seconds) in merged.items() if name != "task total")
    rows = {
        name: {
            "calls_per_task": round(calls / tasks, 2),
            "ms_per_task": round(seconds * 1000 / tasks, 3),
            "ms_per_call": round(seconds * 1000 / calls, 3) if calls else None,
        }
        for name, (calls, seconds) in sorted(merged.items(), key=lambda item: -item[1][1])
    }
    rows["python and other (task total minus the rest)"] = {
        "ms_per_task": round((merged["task total"][1] - accounted) * 1000 / tasks, 3)
    }
    return {"tasks": int(tasks), "per_task": rows}
