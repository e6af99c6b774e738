"""`migrate`, as the owner: the application role may not change the schema."""

from __future__ import annotations

from typing import Any

from django.core.management.commands.migrate import Command as BaseCommand

from database.roles import owner_session


class Command(BaseCommand):
    def execute(self, *args: Any, **options: Any) -> Any:
        with owner_session(options.get("database") or "default"):
            return super().execute(*args, **options)
