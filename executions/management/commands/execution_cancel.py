"""`manage.py execution_cancel ID [--wait]`: cancel a run from the operator's shell.

Exit codes: 0 cancelled (or stopping, without --wait), 1 already finished, 2 no such execution.
"""

from __future__ import annotations

import sys
import time
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandParser

from database.acting import acting_as_execution_owner
from executions import services
from executions.exceptions import ExecutionAlreadyFinished
from executions.models import EXECUTION_TERMINAL, WorkflowExecution


def _status(execution_id: str) -> str | None:
    # Row-level security: the command acts as the execution's owner, like the API would.
    with acting_as_execution_owner(execution_id):
        return (
            WorkflowExecution.objects.filter(id=execution_id)
            .values_list("status", flat=True)
            .first()
        )


class Command(BaseCommand):
    help = "Cancel an execution: nothing new starts, running nodes abort, it ends as cancelled."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("execution_id")
        parser.add_argument("--wait", action="store_true", help="wait until running nodes stopped")
        parser.add_argument("--timeout", type=float, default=120.0)

    def handle(self, *args: Any, **options: Any) -> None:
        execution_id = options["execution_id"]
        try:
            status = _status(execution_id)
        except ValidationError:
            status = None
        if status is None:
            self.stderr.write(f"no execution {execution_id}")
            sys.exit(2)
        try:
            with acting_as_execution_owner(execution_id):
                status = services.execution_cancel(execution_id=execution_id, actor_id=None)
        except ExecutionAlreadyFinished as error:
            self.stderr.write(str(error))
            sys.exit(1)
        deadline = time.monotonic() + options["timeout"]
        while options["wait"] and status not in EXECUTION_TERMINAL and time.monotonic() < deadline:
            time.sleep(0.2)
            status = _status(execution_id) or status
        self.stdout.write(f"execution {execution_id}: {status}")
