"""The acting user of a transaction, as row-level security policies see it.

Policies read `current_setting('zzyra.user_id', true)`. It is set with `set_config(..., true)`,
the function form of `SET LOCAL`, so it lasts until the transaction ends and can never leak to
the next request or task that reuses the connection. Outside a transaction it would last one
statement, so setting it there is refused. No acting user means the policies match no row.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from django.db import connection, transaction

from database.sqlfile import sql


class ActingUserOutsideTransaction(RuntimeError):
    pass


def _require_transaction() -> None:
    if not connection.in_atomic_block:
        raise ActingUserOutsideTransaction(
            "the acting user is set per transaction; call this inside transaction.atomic()"
        )


def acting_user_set(user_id: int | None) -> None:
    """Acts as `user_id` (None: anonymous) until the current transaction ends."""
    _require_transaction()
    sql.execute("acting_user_set", user_id="" if user_id is None else str(int(user_id)))


def acting_user_id() -> int | None:
    row = sql.fetch_one("acting_user_get")
    return int(row[0]) if row and row[0] else None


@contextmanager
def acting_user(user_id: int | None) -> Iterator[None]:
    """A transaction acting as `user_id`: `with acting_user(owner.pk): ...`."""
    with transaction.atomic():
        acting_user_set(user_id)
        yield


def lookup_hint_set(name: str, value: Any) -> None:
    """Lets the current transaction see the one credential row a client presented (a token key,
    a session key, a login name) before anyone is authenticated; see database/sql/rls.sql."""
    _require_transaction()
    if name not in {"token_key", "session_key", "login_username"}:
        raise ValueError(f"unknown lookup hint {name!r}")
    sql.execute("lookup_hint_set", setting=f"zzyra.{name}", value=str(value))


def acting_user_of_execution(execution_id: Any) -> None:
    """Acts as the owner of `execution_id` until the current transaction ends: a worker runs
    a node of someone's execution on their behalf. The owner is looked up past RLS by a
    SECURITY DEFINER function that reveals nothing else; an unknown id acts as nobody."""
    _require_transaction()
    sql.execute("acting_user_of_execution", execution_id=str(execution_id))


@contextmanager
def acting_as_execution_owner(execution_id: Any) -> Iterator[None]:
    """A transaction (or savepoint) acting as the owner of `execution_id`, as a worker does:
    what it writes is the owner's ledger, whoever asked. The caller's acting user comes back
    afterwards, so what the caller writes next (an audit record of its decision) is its own."""
    with transaction.atomic():
        previous = acting_user_id()
        acting_user_of_execution(execution_id)
        yield
        acting_user_set(previous)
