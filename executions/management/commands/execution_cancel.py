"""`manage.py execution_cancel ID [--wait]`: cancel a run from the operator's shell.

Exit codes: 0 cancelled (or stopping, without --wait), 1 already finished, 2 no such execution.
"""

from __future__ import annotations

import sys
import time
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from executions import services
from executions.exceptions import ExecutionAlreadyFinished
from executions.models import EXECUTION_TERMINAL, WorkflowExecution


class Command(BaseCommand):
    help = "Cancel an execution: nothing new starts, running nodes abort, it ends as cancelled."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("execution_id")
        parser.add_argument("--wait", action="store_true", help="wait until running nodes stopped")
        parser.add_argument("--timeout", type=float, default=120.0)

    def handle(self, *args: Any, **options: Any) -> None:
        execution_id = options["execution_id"]
        if not WorkflowExecution.objects.filter(id=execution_id).exists():
            self.stderr.write(f"no execution {execution_id}")
            sys.exit(2)
        try:
            status = services.execution_cancel(execution_id=execution_id, actor_id=None)
        except ExecutionAlreadyFinished as error:
            self.stderr.write(str(error))
            sys.exit(1)
        deadline = time.monotonic() + options["timeout"]
        while options["wait"] and status not in EXECUTION_TERMINAL and time.monotonic() < deadline:
            time.sleep(0.2)
            status = WorkflowExecution.objects.values_list("status", flat=True).get(id=execution_id)
        self.stdout.write(f"execution {execution_id}: {status}")
