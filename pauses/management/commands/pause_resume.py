"""`manage.py pause_resume PAUSE_ID [--approve | --reject] [--data JSON] [--user NAME]`
`manage.py pause_resume --execution ID` and `manage.py pause_resume --list`

Decides an approval, or resumes an operator's pause, through the same services as the API.
Without --user the command acts as an operator (any approval may be decided); with --user the
approvers rule applies. Exit codes: 0 done, 1 refused (not allowed, already resumed, ...).
"""

from __future__ import annotations

import json
import sys
from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from database.acting import acting_user, lookup_hint_set
from database.roles import maintenance_role
from pauses import services
from pauses.exceptions import PauseError
from pauses.models import WorkflowPause


class Command(BaseCommand):
    help = "Approve or reject a pending approval, or resume an execution an operator paused."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("pause_id", nargs="?", type=int, help="the pause to resume")
        decision = parser.add_mutually_exclusive_group()
        decision.add_argument("--approve", action="store_true", help="approve an approval")
        decision.add_argument("--reject", action="store_true", help="reject an approval")
        parser.add_argument("--data", default="null", help="decision data as JSON")
        parser.add_argument("--user", help="decide as this user (approvers rule applies)")
        parser.add_argument("--execution", help="resume this execution's operator pause")
        parser.add_argument("--list", action="store_true", help="list pending pauses")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["list"]:
            self._list()
            return
        actor_id = self._actor(options["user"])
        try:
            data = json.loads(options["data"])
        except json.JSONDecodeError as error:
            raise CommandError(f"--data is not valid JSON: {error}") from error
        operator = actor_id is None
        # With --user, act as that user (row-level security shows them their groups).
        with acting_user(actor_id):
            pause = self._resume(options, actor_id, data, operator)
        self.stdout.write(
            f"pause {pause.id} ({pause.kind}, execution {pause.execution_id}): {pause.decision}"
        )

    def _resume(
        self, options: dict[str, Any], actor_id: int | None, data: Any, operator: bool
    ) -> WorkflowPause:
        try:
            if options["execution"]:
                pause = services.execution_resume(
                    execution_id=options["execution"], actor_id=actor_id, via="command"
                )
            elif options["pause_id"] is None:
                raise CommandError("give a PAUSE_ID, --execution ID or --list")
            elif options["approve"] or options["reject"]:
                pause = services.pause_decide(
                    pause_id=options["pause_id"],
                    approve=options["approve"],
                    actor_id=actor_id,
                    data=data,
                    via="command",
                    operator=operator,
                )
            else:
                pause = services.pause_resume(
                    pause_id=options["pause_id"],
                    actor_id=actor_id,
                    via="command",
                    operator=operator,
                )
        except PauseError as error:
            self.stderr.write(f"refused ({error.http_status}): {error}")
            sys.exit(1)
        return pause

    def _actor(self, username: str | None) -> int | None:
        if not username:
            return None
        try:
            with transaction.atomic():
                lookup_hint_set("login_username", username)  # visible before acting as them
                return int(get_user_model().objects.get(username=username).pk)
        except get_user_model().DoesNotExist:
            raise CommandError(f"no user {username!r}") from None

    def _list(self) -> None:
        with transaction.atomic(), maintenance_role():
            pending = list(
                WorkflowPause.objects.filter(resumed_at__isnull=True).order_by("created_at")
            )
        for pause in pending:
            due = pause.resume_at or pause.expires_at
            self.stdout.write(
                f"{pause.id:>8}  {pause.kind:<9} execution {pause.execution_id} "
                f"node {pause.node_id or '-':<16} {pause.reason[:60]}"
                + (f"  (due {due.isoformat()})" if due else "")
            )
