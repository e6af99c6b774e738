"""`makemigrations`, as the owner: on a database that was never migrated the application role
has no grants, not even to read the migration history."""

from __future__ import annotations

from typing import Any

from django.core.management.commands.makemigrations import Command as BaseCommand

from database.roles import owner_session


class Command(BaseCommand):
    def execute(self, *args: Any, **options: Any) -> Any:
        with owner_session(options.get("database") or "default"):
            return super().execute(*args, **options)
