"""`manage.py bench`: the engine's load benchmark against real services (see docs/benchmark.md).

Thin on purpose: options in, `benchmarks.runner.run` does the work, one JSON document out.
"""

from __future__ import annotations

import json
import os
import signal
from pathlib import Path
from types import FrameType
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from benchmarks.runner import BenchConfig, run
from benchmarks.shapes import SHAPES, shape_runs
from database.roles import process_owner_enable


def _interrupt(signum: int, frame: FrameType | None) -> None:
    # SIGTERM unwinds like Ctrl-C, so the stack's teardown runs either way.
    raise KeyboardInterrupt


class Command(BaseCommand):
    help = (
        "Start executions through the REST API at a fixed rate against real RabbitMQ, "
        "PostgreSQL, gunicorn and Celery workers; print latency and error figures as JSON, "
        "next to the same shapes run as plain Celery chains."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--rate", type=float, default=100.0, help="starts per second of each shape"
        )
        parser.add_argument("--duration", type=float, default=60.0, help="seconds of load")
        parser.add_argument(
            "--shapes",
            default="three,chain40@10",
            help=f"comma-separated, each NAME or NAME@RATE: {', '.join(SHAPES)}. Default: "
            "three at --rate; chain40 at 10/s, since 40 node runs per start at 100/s would be "
            "4,000 tasks/s, more than plain Celery chains sustain on two cores",
        )
        parser.add_argument("--workers", type=int, default=2, help="celery worker processes")
        parser.add_argument(
            "--concurrency", type=int, default=4, help="prefork children per worker"
        )
        parser.add_argument("--api-workers", type=int, default=4, help="gunicorn sync workers")
        parser.add_argument(
            "--drain-timeout",
            type=float,
            default=60.0,
            help="seconds to wait after the last start for runs to finish",
        )
        parser.add_argument("--output", type=Path, help="also write the JSON report here")
        parser.add_argument(
            "--skip-baseline", action="store_true", help="do not run the Celery chain baseline"
        )
        parser.add_argument(
            "--shared-vhost",
            action="store_true",
            help="use the broker URL's vhost instead of a private throw-away one",
        )
        parser.add_argument(
            "--profile",
            action="store_true",
            help="time SQL, commits and publishes inside the workers (adds a little overhead)",
        )
        parser.add_argument("--log-dir", type=Path, help="where process logs go (default: temp)")

    def handle(self, *args: Any, **options: Any) -> None:
        missing = [
            name for name in ("DATABASE_URL", "CELERY_BROKER_URL") if not os.environ.get(name)
        ]
        if missing:
            raise CommandError(
                f"{' and '.join(missing)} must be set: the benchmark runs against real "
                "PostgreSQL and RabbitMQ, e.g. "
                "DATABASE_URL=postgres://postgres@127.0.0.1:5432/zzyra "
                "CELERY_BROKER_URL=amqp://guest:guest@127.0.0.1:5672//"
            )
        # Like an operator's tool, the harness works as the login role: it creates the bench
        # user and reads every tenant's results. gunicorn and the workers use the app role.
        process_owner_enable()
        executor = MigrationExecutor(connection)
        if executor.migration_plan(executor.loader.graph.leaf_nodes()):
            # Otherwise every start fails with a missing column and the report is all errors.
            raise CommandError("the database has unapplied migrations: run manage.py migrate")
        if options["rate"] <= 0 or options["duration"] <= 0:
            raise CommandError("--rate and --duration must be positive")
        if options["workers"] < 1 or options["concurrency"] < 1 or options["api_workers"] < 1:
            raise CommandError("--workers, --concurrency and --api-workers must be at least 1")
        try:
            shapes = shape_runs(options["shapes"], options["rate"])
        except ValueError as error:
            raise CommandError(str(error)) from error
        config = BenchConfig(
            duration_seconds=options["duration"],
            shapes=shapes,
            workers=options["workers"],
            concurrency=options["concurrency"],
            api_workers=options["api_workers"],
            drain_timeout_seconds=options["drain_timeout"],
            baseline=not options["skip_baseline"],
            private_vhost=not options["shared_vhost"],
            profile=options["profile"],
            log_directory=options["log_dir"],
            database_url=os.environ["DATABASE_URL"],
            broker_url=os.environ["CELERY_BROKER_URL"],
        )
        previous = signal.signal(signal.SIGTERM, _interrupt)
        try:
            report = run(config)
        except KeyboardInterrupt as interrupted:
            raise CommandError("interrupted; the benchmark stack was stopped") from interrupted
        finally:
            signal.signal(signal.SIGTERM, previous)
        document = json.dumps(report, indent=2)
        if options["output"]:
            options["output"].write_text(document + "\n")
        self.stdout.write(document)
