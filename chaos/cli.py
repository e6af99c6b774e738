"""Options of the chaos run, shared by `python -m chaos` and `manage.py chaos`.

The management command only re-executes `python -m chaos` with the same options: Django's
settings read DATABASE_URL and CELERY_BROKER_URL when they load, so the run must point them at
its private servers in a process that has not loaded settings yet.
"""

from __future__ import annotations

import argparse
import json
import signal
import sys
from pathlib import Path
from types import FrameType
from typing import Any

# (flag, keyword arguments for add_argument): one list, so both entry points stay in step.
OPTIONS: list[tuple[str, dict[str, Any]]] = [
    ("--executions", {"type": int, "default": 1000, "help": "executions to start (N)"}),
    ("--workers", {"type": int, "default": 3, "help": "celery worker processes"}),
    ("--concurrency", {"type": int, "default": 2, "help": "prefork children per worker"}),
    (
        "--chaos-seconds",
        {
            "type": float,
            "default": None,
            "help": "window over which executions start and faults happen "
            "(default: max(45, N / 5))",
        },
    ),
    ("--kill-interval", {"type": float, "default": 5.0, "help": "seconds between worker kills"}),
    (
        "--kill-mode",
        {
            "choices": ["group", "child", "mixed"],
            "default": "mixed",
            "help": "kill a worker's whole process group, one pool child, or either at random",
        },
    ),
    ("--no-worker-kills", {"action": "store_true", "help": "do not kill workers"}),
    ("--no-rabbitmq-restart", {"action": "store_true", "help": "do not restart RabbitMQ"}),
    ("--no-postgres-restart", {"action": "store_true", "help": "do not restart PostgreSQL"}),
    (
        "--timeout",
        {
            "type": float,
            "default": 1800.0,
            "help": "seconds to wait after the chaos window for every execution to end",
        },
    ),
    ("--stale-seconds", {"type": int, "default": 15, "help": "engine stale limit for nodes"}),
    ("--heartbeat-interval", {"type": int, "default": 3, "help": "engine heartbeat, seconds"}),
    ("--sweep-interval", {"type": int, "default": 5, "help": "stale-node sweep, seconds"}),
    (
        "--republish-after",
        {
            "type": int,
            "default": 30,
            "help": "seconds after which a published but unclaimed node is published again",
        },
    ),
    (
        "--sink-delay",
        {"type": float, "default": 0.2, "help": "max seconds the sink waits before answering"},
    ),
    ("--output", {"type": Path, "default": None, "help": "also write the JSON report here"}),
    ("--keep", {"action": "store_true", "help": "keep the temporary directory (data, logs)"}),
]


def add_options(parser: argparse.ArgumentParser) -> None:
    for flag, keywords in OPTIONS:
        parser.add_argument(flag, **keywords)


def to_argv(options: dict[str, Any]) -> list[str]:
    """Options parsed by Django's parser, back into arguments for `python -m chaos`."""
    argv: list[str] = []
    for flag, keywords in OPTIONS:
        value = options.get(flag[2:].replace("-", "_"))
        if keywords.get("action") == "store_true":
            if value:
                argv.append(flag)
        elif value is not None:
            argv += [flag, str(value)]
    return argv


def _interrupt(signum: int, frame: FrameType | None) -> None:
    # SIGTERM unwinds like Ctrl-C, so every process the run started is stopped either way.
    raise KeyboardInterrupt


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m chaos",
        description="Crash workers, RabbitMQ and PostgreSQL under a running load of "
        "fan-out/join executions; print a JSON report. Exit 0 when nothing was lost, stuck "
        "or applied twice.",
    )
    add_options(parser)
    arguments = parser.parse_args(argv)
    if arguments.executions < 1 or arguments.workers < 1 or arguments.concurrency < 1:
        parser.error("--executions, --workers and --concurrency must be at least 1")
    if arguments.kill_interval <= 0:
        parser.error("--kill-interval must be positive")

    from chaos.run import ChaosConfig, run, say

    config = ChaosConfig(
        executions=arguments.executions,
        workers=arguments.workers,
        concurrency=arguments.concurrency,
        chaos_seconds=arguments.chaos_seconds or max(45.0, arguments.executions / 5),
        kill_interval_seconds=arguments.kill_interval,
        kill_mode=arguments.kill_mode,
        kill_workers=not arguments.no_worker_kills,
        restart_rabbitmq=not arguments.no_rabbitmq_restart,
        restart_postgres=not arguments.no_postgres_restart,
        timeout_seconds=arguments.timeout,
        stale_seconds=arguments.stale_seconds,
        heartbeat_interval_seconds=arguments.heartbeat_interval,
        sweep_interval_seconds=arguments.sweep_interval,
        republish_after_seconds=arguments.republish_after,
        sink_delay_seconds=arguments.sink_delay,
        keep=arguments.keep,
    )
    signal.signal(signal.SIGTERM, _interrupt)
    try:
        report, problems = run(config)
    except KeyboardInterrupt:
        say("interrupted; every process the run started was stopped")
        return 130
    document = json.dumps(report, indent=2, default=str)
    if arguments.output:
        arguments.output.write_text(document + "\n")
    print(document, flush=True)
    if problems:
        say("requirements NOT met: " + "; ".join(problems))
        return 1
    say("requirements met")
    return 0


if __name__ == "__main__":
    sys.exit(main())
