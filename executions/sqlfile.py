"""Named SQL blocks of the executions app, loaded once from `executions/sql/*.sql`.

A thin binding of the project-wide loader (`zzyra.sqlfile`) to this app's directory; the
module-level functions are the API the engine calls.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from zzyra.sqlfile import SqlFile
from zzyra.sqlfile import queries as _queries

SQL_DIRECTORY = Path(__file__).resolve().parent / "sql"
_sql = SqlFile(SQL_DIRECTORY)


def queries() -> dict[str, str]:
    return _queries(SQL_DIRECTORY)


def query(name: str) -> str:
    return _sql.query(name)


def fetch_all(name: str, **params: Any) -> list[tuple[Any, ...]]:
    return _sql.fetch_all(name, **params)


def fetch_one(name: str, **params: Any) -> tuple[Any, ...] | None:
    return _sql.fetch_one(name, **params)


def execute(name: str, **params: Any) -> int:
    return _sql.execute(name, **params)
