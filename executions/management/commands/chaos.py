"""`manage.py chaos`: the chaos suite of issue 3 (see docs/chaos.md).

Thin on purpose: the run must point DATABASE_URL and CELERY_BROKER_URL at its own PostgreSQL
and RabbitMQ before Django's settings load, and this process has loaded them already, so it
replaces itself with `python -m chaos` and the same options (exit code included).
"""

from __future__ import annotations

import os
import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from chaos.cli import add_options, to_argv
from chaos.processes import REPO


class Command(BaseCommand):
    help = (
        "Start N fan-out/join executions with side-effecting HTTP nodes on a private "
        "PostgreSQL and RabbitMQ while killing workers and restarting both servers; print a "
        "JSON report (lost, stuck, duplicate side effects, recovery time)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        add_options(parser)

    def handle(self, *args: Any, **options: Any) -> None:
        environment = {
            **os.environ,
            "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")])),
        }
        sys.stdout.flush()
        sys.stderr.flush()
        argv = [sys.executable, "-m", "chaos", *to_argv(options)]
        os.execve(sys.executable, argv, environment)
