"""`flush`, as the owner on the audit trail's maintenance path (tests flush between cases)."""

from __future__ import annotations

from typing import Any

from django.core.management.commands.flush import Command as FlushCommand

from database.roles import owner_session


class Command(FlushCommand):
    def handle(self, **options: Any) -> None:
        with owner_session(options["database"], audit_maintenance=True):
            super().handle(**options)
