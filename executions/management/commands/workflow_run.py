"""`manage.py workflow_run FILE.json [--input JSON] [--wait] [--json]`

Imports (or updates) the workflow in FILE, starts an execution and, with --wait, waits for its
end and prints a timeline. Exit codes: 0 succeeded (or started, without --wait), 1 failed or
cancelled, 2 invalid graph or input.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from database.acting import acting_user, lookup_hint_set
from executions import selectors, services
from executions.models import EXECUTION_TERMINAL, ExecutionStatus, WorkflowExecution
from executions.timeline import execution_summary, timeline_lines
from workflows.exceptions import InvalidGraph
from workflows.services import workflow_import

EXIT_SUCCEEDED, EXIT_FAILED, EXIT_INVALID = 0, 1, 2


class Command(BaseCommand):
    help = "Import a workflow from a JSON file, start an execution and optionally wait for it."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path, help='workflow file: {"name", "nodes", "edges"}')
        parser.add_argument("--input", default="{}", help="execution input as JSON (default {})")
        parser.add_argument("--wait", action="store_true", help="wait for the execution to end")
        parser.add_argument(
            "--json", action="store_true", help="print a JSON result instead of text"
        )
        parser.add_argument(
            "--user", default="zzyra", help="owner of the workflow (created if missing)"
        )
        parser.add_argument(
            "--timeout", type=float, default=600.0, help="seconds to wait (default 600)"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        document = self._read_json(
            options["file"].read_text() if options["file"].exists() else None, options["file"]
        )
        try:
            execution_input = json.loads(options["input"])
        except json.JSONDecodeError as error:
            self._exit_invalid([f"--input is not valid JSON: {error}"], options["json"])
        with transaction.atomic():
            # Row-level security shows this command the one user row it names.
            lookup_hint_set("login_username", options["user"])
            owner, _ = get_user_model().objects.get_or_create(username=options["user"])
        try:
            with acting_user(owner.pk):
                workflow, _ = workflow_import(owner_id=owner.pk, document=document)
        except InvalidGraph as error:
            self._exit_invalid([str(item) for item in error.errors], options["json"], error)
        with acting_user(owner.pk):  # nodes are published when this commits
            execution, _ = services.execution_start(
                owner_id=owner.pk, workflow=workflow, input=execution_input, trigger="cli"
            )
        if not options["json"]:
            self.stdout.write(f"started execution {execution.id} of {workflow.name!r}")
        if not options["wait"]:
            if options["json"]:
                self.stdout.write(json.dumps({"id": str(execution.id), "status": execution.status}))
            return
        finished = self._wait(execution.id, options["timeout"], owner.pk)
        with acting_user(owner.pk):
            if options["json"]:
                self.stdout.write(json.dumps(execution_summary(finished), indent=2, default=str))
            else:
                for line in timeline_lines(finished):
                    self.stdout.write(line)
        if finished.status != ExecutionStatus.SUCCEEDED:
            sys.exit(EXIT_FAILED)

    def _read_json(self, text: str | None, path: Path) -> dict[str, Any]:
        if text is None:
            raise CommandError(f"{path}: no such file")
        try:
            document = json.loads(text)
        except json.JSONDecodeError as error:
            self._exit_invalid([f"{path} is not valid JSON: {error}"], False)
        if not isinstance(document, dict):
            self._exit_invalid(
                [f"{path} must hold a JSON object with name, nodes and edges"], False
            )
        return document

    def _wait(self, execution_id: Any, timeout_seconds: float, owner_id: int) -> WorkflowExecution:
        deadline = time.monotonic() + timeout_seconds
        last_maintenance = 0.0
        while time.monotonic() < deadline:
            with acting_user(owner_id):
                finished = selectors.execution_is_finished(execution_id=execution_id)
            if finished:
                break
            if (
                settings.ZZYRA_DISPATCHER == "inprocess"
                and time.monotonic() - last_maintenance >= 1
            ):
                _embedded_maintenance()
                last_maintenance = time.monotonic()
            time.sleep(0.05)
        with acting_user(owner_id):
            execution = selectors.execution_get(owner_id=owner_id, execution_id=execution_id)
        if execution.status not in EXECUTION_TERMINAL:
            raise CommandError(
                f"execution {execution_id} did not finish within {timeout_seconds:g} s"
            )
        return execution

    def _exit_invalid(
        self, problems: list[str], as_json: bool, error: InvalidGraph | None = None
    ) -> None:
        if as_json:
            errors = (
                [item.as_dict() for item in error.errors]
                if error
                else [{"message": p} for p in problems]
            )
            self.stdout.write(json.dumps({"status": "invalid", "errors": errors}, indent=2))
        else:
            self.stderr.write(
                f"invalid workflow ({len(problems)} problem{'s' if len(problems) != 1 else ''}):"
            )
            for problem in problems:
                self.stderr.write(f"  - {problem}")
        sys.exit(EXIT_INVALID)


def _embedded_maintenance() -> None:
    """No beat runs in the embedded mode: this process relays, sweeps and resumes due pauses."""
    from pauses.services import pauses_resume_due

    services.nodes_relay(
        grace_seconds=settings.ZZYRA_RELAY_GRACE_SECONDS,
        republish_after_seconds=settings.ZZYRA_REPUBLISH_AFTER_SECONDS,
    )
    services.nodes_sweep()
    pauses_resume_due()
