"""Named SQL blocks of the audit app (`audit/sql/*.sql`)."""

from __future__ import annotations

from pathlib import Path

from zzyra.sqlfile import SqlFile

sql = SqlFile(Path(__file__).resolve().parent / "sql")
