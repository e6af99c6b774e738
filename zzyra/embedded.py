"""The embedded PostgreSQL used when no DATABASE_URL is configured.

A fresh machine should run an example workflow with nothing set up, so settings start a
project-local server (the `pgserver` package ships the binaries) under `.zzyra/pgdata`. The
server outlives the process that started it and is reused by the next one, like a dev database.
"""

from __future__ import annotations

from pathlib import Path

DATABASE_NAME = "zzyra"
# The application and maintenance roles (docs/database.md); the first migration would create
# them too, but a process that connects before migrating already switches to zzyra_app.
ROLES_SQL = Path(__file__).resolve().parent.parent / "database" / "sql" / "roles.sql"


def embedded_database_url(data_directory: Path) -> str:
    """Start (or reuse) the embedded server and return a URL for the `zzyra` database."""
    import pgserver  # imported lazily: only the embedded mode needs it

    data_directory.mkdir(parents=True, exist_ok=True)
    server = pgserver.get_server(data_directory, cleanup_mode=None)
    exists = server.psql(f"SELECT 1 FROM pg_database WHERE datname = '{DATABASE_NAME}';")
    if "1 row" not in exists:
        server.psql(f"CREATE DATABASE {DATABASE_NAME};")
    if "1 row" not in server.psql("SELECT 1 FROM pg_roles WHERE rolname = 'zzyra_app';"):
        server.psql(ROLES_SQL.read_text())
    return f"postgresql://postgres@/{DATABASE_NAME}?host={data_directory}"
