"""One benchmark run: bring the stack up, drive each shape and its baseline, report JSON.

Phases run one after another on the same stack, each drained before the next starts, so a
shape never competes with the one before it. A short unreported warm-up first fills the
workers' plan caches and database connections.
"""

from __future__ import annotations

import os
import platform
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from benchmarks import profiling
from benchmarks.baseline import BaselineTarget, ratios
from benchmarks.cpu import cpu_percent, cpu_ticks
from benchmarks.engine_target import EngineTarget, bench_credentials, bench_workflow
from benchmarks.load import LoadResult, Target, drive, progress
from benchmarks.shapes import ShapeRun
from benchmarks.stack import Stack, StackConfig, private_vhost, purge_queues

TARGET_RATE = 100.0
TARGET_P95_MS = 1000.0
TARGET_DURATION_SECONDS = 60.0
WARMUP_RATE = 10.0
WARMUP_SECONDS = 2.0
SETTLE_SECONDS = 2.0


@dataclass(frozen=True)
class BenchConfig:
    duration_seconds: float
    shapes: list[ShapeRun]
    workers: int
    concurrency: int
    api_workers: int
    drain_timeout_seconds: float
    baseline: bool
    private_vhost: bool
    profile: bool
    log_directory: Path | None
    database_url: str
    broker_url: str


def use_broker(broker_url: str) -> None:
    """Point this process's Celery app (pings, purges, baseline sends) at `broker_url`."""
    from zzyra.celery import app

    # The read and write URLs were derived from broker_url when the app was configured.
    app.conf.update(broker_url=broker_url, broker_read_url=broker_url, broker_write_url=broker_url)
    pool = app._pool  # type: ignore[attr-defined]
    if pool is not None:  # connections to the old URL: drop them, a new pool follows
        pool.force_close_all()
        app._pool = None  # type: ignore[attr-defined]


def run(config: BenchConfig) -> dict[str, Any]:
    log_directory = config.log_directory or Path(tempfile.mkdtemp(prefix="zzyra-bench-"))
    profile_directory = log_directory / "profile" if config.profile else None
    with private_vhost(config.broker_url, config.private_vhost) as broker_url:
        use_broker(broker_url)
        purged = purge_queues(broker_url)
        if any(purged.values()):
            progress(f"purged leftover messages: {purged}")
        stack_config = StackConfig(
            workers=config.workers,
            concurrency=config.concurrency,
            api_workers=config.api_workers,
            log_directory=log_directory,
            database_url=config.database_url,
            profile_directory=profile_directory,
        )
        progress(f"starting gunicorn and {config.workers} workers; logs in {log_directory}")
        with Stack(stack_config, broker_url) as stack:
            results = _run_shapes(config, stack)
    report: dict[str, Any] = {
        "benchmark": "zzyra engine vs plain Celery chains",
        "config": _config_report(config, log_directory),
        "results": results,
        "target": _target_verdict(config, results),
    }
    if profile_directory is not None:
        report["worker_profile"] = profiling.profile_merge(profile_directory)
    return report


def _run_shapes(config: BenchConfig, stack: Stack) -> dict[str, Any]:
    token = bench_credentials()
    results: dict[str, Any] = {}
    for shape_run in config.shapes:
        shape, rate = shape_run.shape, shape_run.rate
        workflow_id = bench_workflow(stack.api_url, token, shape)
        engine = EngineTarget(
            api_url=stack.api_url,
            token=token,
            workflow_id=workflow_id,
            database_url=config.database_url,
        )
        try:
            _warm_up(engine, config, rate)
            progress(f"[engine] {shape.name}: {rate}/s for {config.duration_seconds} s")
            ticks_before, began = cpu_ticks(), time.monotonic()
            engine_result = _drive(engine, config, rate)
            cpu = cpu_percent(ticks_before, cpu_ticks(), time.monotonic() - began)
            shape_report: dict[str, Any] = {
                "description": shape.description,
                "rate": rate,
                "engine": engine_result.as_dict(),
            }
            # Percent of one core per part, over the load phase including its drain.
            shape_report["engine"]["cpu_percent_of_one_core"] = cpu
            shape_report["engine"]["ledger_breakdown"] = engine.breakdown(engine_result.run_ids)
        finally:
            engine.close()
        if config.baseline:
            time.sleep(SETTLE_SECONDS)
            baseline = BaselineTarget(shape=shape, database_url=config.database_url)
            try:
                _warm_up(baseline, config, rate)
                progress(f"[baseline] {shape.name}: chain of {shape.length} no-op tasks")
                shape_report["baseline"] = _drive(baseline, config, rate).as_dict()
            finally:
                baseline.close()
            shape_report["engine_to_baseline_ratio"] = ratios(
                shape_report["engine"], shape_report["baseline"]
            )
        results[shape.name] = shape_report
        time.sleep(SETTLE_SECONDS)
    return results


def _drive(target: Target, config: BenchConfig, rate: float) -> LoadResult:
    return drive(
        target,
        rate=rate,
        duration_seconds=config.duration_seconds,
        drain_timeout_seconds=config.drain_timeout_seconds,
    )


def _warm_up(target: Target, config: BenchConfig, rate: float) -> None:
    drive(
        target,
        rate=min(rate, WARMUP_RATE),
        duration_seconds=WARMUP_SECONDS,
        drain_timeout_seconds=config.drain_timeout_seconds,
    )


def _config_report(config: BenchConfig, log_directory: Path) -> dict[str, Any]:
    return {
        "duration_seconds": config.duration_seconds,
        "shapes": {run.shape.name: run.rate for run in config.shapes},
        "workers": config.workers,
        "concurrency": config.concurrency,
        "api_workers": config.api_workers,
        "drain_timeout_seconds": config.drain_timeout_seconds,
        "private_vhost": config.private_vhost,
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "latency": "PostgreSQL completed_at (engine) or the last task's clock_timestamp() "
        "(baseline) minus the scheduled send time",
        "log_directory": str(log_directory),
    }


def _target_verdict(config: BenchConfig, results: dict[str, Any]) -> dict[str, Any]:
    """Whether each shape met the issue's bar: 100 starts/s sustained for 60 s, P95 under 1 s,
    no errors."""
    verdict: dict[str, Any] = {
        "rate": TARGET_RATE,
        "duration_seconds": TARGET_DURATION_SECONDS,
        "p95_ms_below": TARGET_P95_MS,
        "errors": 0,
    }
    for name, report in results.items():
        engine = report["engine"]
        p95 = engine["latency_ms"]["p95"]
        verdict[name] = bool(
            report["rate"] >= TARGET_RATE
            and config.duration_seconds >= TARGET_DURATION_SECONDS
            and engine["achieved_start_rate"] >= 0.98 * TARGET_RATE
            and p95 is not None
            and p95 < TARGET_P95_MS
            and engine["errors"] == 0
        )
    return verdict
