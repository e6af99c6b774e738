"""Named SQL blocks, loaded once from `executions/sql/*.sql` and called by name.

A block starts with `-- name: <name>` and a one-line comment saying what it does. Queries use
psycopg's named parameters (`%(execution_id)s`).
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path
from typing import Any

from django.db import connection

SQL_DIRECTORY = Path(__file__).resolve().parent / "sql"
_block_header = re.compile(r"^-- name: (?P<name>[a-z_]+)\s*$", re.M)


@cache
def queries() -> dict[str, str]:
    found: dict[str, str] = {}
    for path in sorted(SQL_DIRECTORY.glob("*.sql")):
        text = path.read_text()
        headers = list(_block_header.finditer(text))
        for header, following in zip(headers, [*headers[1:], None], strict=True):
            end = following.start() if following else len(text)
            name = header["name"]
            if name in found:
                raise ValueError(f"SQL block {name!r} is defined twice ({path.name})")
            found[name] = text[header.end() : end].strip()
    return found


def query(name: str) -> str:
    try:
        return queries()[name]
    except KeyError:
        raise KeyError(f"no SQL block named {name!r} in {SQL_DIRECTORY}") from None


def fetch_all(name: str, **params: Any) -> list[tuple[Any, ...]]:
    with connection.cursor() as cursor:
        cursor.execute(query(name), params)
        return list(cursor.fetchall()) if cursor.description else []


def fetch_one(name: str, **params: Any) -> tuple[Any, ...] | None:
    with connection.cursor() as cursor:
        cursor.execute(query(name), params)
        return cursor.fetchone() if cursor.description else None


def execute(name: str, **params: Any) -> int:
    with connection.cursor() as cursor:
        cursor.execute(query(name), params)
        return cursor.rowcount
