"""Which PostgreSQL role runs a piece of code.

Three roles (docs/database.md): the owner, who owns the schema and runs migrations; the
application role `zzyra_app`, which owns nothing, has no BYPASSRLS and sees only the acting
user's rows; the maintenance role `zzyra_maintenance`, whose few grants and policies cover the
relay, sweeper, heartbeat, partition upkeep, payload retention, audit export, the pause scan
and the pause services' reads across tenants.

Every connection switches to the application role as soon as it is opened (`SET ROLE`), so
code that forgets to ask for a role gets the least privileged one. The owner is taken back
only by the commands that need it (migrate, flush, makemigrations, createsuperuser) and by a
process that declares itself the owner (the test runner); the maintenance role is taken for one
transaction at a time (`SET LOCAL ROLE`).
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from django.db import DEFAULT_DB_ALIAS, connections
from django.db.backends.base.base import BaseDatabaseWrapper
from psycopg import sql as psycopg_sql

APP_ROLE = "zzyra_app"
MAINTENANCE_ROLE = "zzyra_maintenance"

_owner = threading.local()
_process_owner = False


class RoleOutsideTransaction(RuntimeError):
    pass


def _owner_in_charge() -> bool:
    return _process_owner or int(getattr(_owner, "depth", 0)) > 0


def _set_role(wrapper: BaseDatabaseWrapper, role: str | None, *, local: bool = False) -> None:
    with wrapper.cursor() as cursor:
        if role is None:
            cursor.execute("RESET ROLE")
        else:
            statement = "SET LOCAL ROLE {}" if local else "SET ROLE {}"
            cursor.execute(psycopg_sql.SQL(statement).format(psycopg_sql.Identifier(role)))


def on_connection_created(sender: Any, connection: BaseDatabaseWrapper, **_: Any) -> None:
    """Every new connection drops to the application role unless the owner is in charge."""
    if connection.vendor != "postgresql" or _owner_in_charge():
        return
    _set_role(connection, APP_ROLE)
    connection.zzyra_app_role = True  # type: ignore[attr-defined]


def process_owner_enable() -> None:
    """The whole process works as the login role: for the test runner, which creates databases
    and asserts across tenants. Code under test asks for roles explicitly where it matters."""
    global _process_owner
    _process_owner = True


@contextmanager
def owner_session(
    alias: str = DEFAULT_DB_ALIAS, *, audit_maintenance: bool = False
) -> Iterator[None]:
    """Runs as the login role (the owner, for migrate and friends) on this thread, then drops
    back to the application role if the connection had it. With `audit_maintenance` the owner
    also opens the audit trail's maintenance path (flush truncates it)."""
    wrapper = connections[alias]
    _owner.depth = int(getattr(_owner, "depth", 0)) + 1
    try:
        if wrapper.connection is not None and getattr(wrapper, "zzyra_app_role", False):
            _set_role(wrapper, None)
        if audit_maintenance and wrapper.vendor == "postgresql":
            with wrapper.cursor() as cursor:
                cursor.execute("SET zzyra.audit_maintenance = 'on'")
        yield
    finally:
        _owner.depth -= 1
        if wrapper.connection is not None and wrapper.vendor == "postgresql":
            if audit_maintenance:
                with wrapper.cursor() as cursor:
                    cursor.execute("RESET zzyra.audit_maintenance")
            if not _owner_in_charge() and getattr(wrapper, "zzyra_app_role", False):
                _set_role(wrapper, APP_ROLE)


@contextmanager
def maintenance_role(alias: str = DEFAULT_DB_ALIAS) -> Iterator[None]:
    """The rest of the block runs as the maintenance role, inside the caller's transaction;
    on a normal exit the previous role comes back (a rollback restores it by itself)."""
    wrapper = connections[alias]
    if not wrapper.in_atomic_block:
        raise RoleOutsideTransaction("maintenance_role() must run inside transaction.atomic()")
    with wrapper.cursor() as cursor:
        cursor.execute("SELECT current_user")
        previous = str(cursor.fetchone()[0])
    _set_role(wrapper, MAINTENANCE_ROLE, local=True)
    yield
    _set_role(wrapper, previous, local=True)
