"""Named SQL blocks, loaded once per directory and called by name (STYLE.md "SQL in one place").

Each app keeps its SQL in `<app>/sql/*.sql`. A block starts with `-- name: <name>` and a
one-line comment saying what it does. Queries use psycopg's named parameters
(`%(execution_id)s`); schema blocks (DDL run by migrations) take no parameters and may hold
several statements, since psycopg sends a parameterless execute as one simple query.
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path
from typing import Any

from django.db import connection

_block_header = re.compile(r"^-- name: (?P<name>[a-z0-9_]+)\s*$", re.M)


@cache
def queries(directory: Path) -> dict[str, str]:
    """Every block of every `*.sql` file in `directory`, by name. Names are unique per app."""
    found: dict[str, str] = {}
    for path in sorted(directory.glob("*.sql")):
        text = path.read_text()
        headers = list(_block_header.finditer(text))
        for header, following in zip(headers, [*headers[1:], None], strict=True):
            end = following.start() if following else len(text)
            name = header["name"]
            if name in found:
                raise ValueError(f"SQL block {name!r} is defined twice ({path.name})")
            found[name] = text[header.end() : end].strip()
    return found


class SqlFile:
    """The named blocks of one app: `SqlFile(Path(__file__).parent / "sql")`."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory

    def query(self, name: str) -> str:
        try:
            return queries(self.directory)[name]
        except KeyError:
            raise KeyError(f"no SQL block named {name!r} in {self.directory}") from None

    def fetch_all(self, name: str, **params: Any) -> list[tuple[Any, ...]]:
        with connection.cursor() as cursor:
            cursor.execute(self.query(name), params)
            return list(cursor.fetchall()) if cursor.description else []

    def fetch_one(self, name: str, **params: Any) -> tuple[Any, ...] | None:
        with connection.cursor() as cursor:
            cursor.execute(self.query(name), params)
            return cursor.fetchone() if cursor.description else None

    def execute(self, name: str, **params: Any) -> int:
        with connection.cursor() as cursor:
            cursor.execute(self.query(name), params)
            return cursor.rowcount
