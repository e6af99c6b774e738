"""The allowed status moves are listed once; the map is whole and the engine's SQL obeys it."""

from __future__ import annotations

import re

import pytest
from django.db.models import TextChoices

from executions import sqlfile
from executions.models import (
    EXECUTION_TERMINAL,
    EXECUTION_TRANSITIONS,
    NODE_TERMINAL,
    NODE_TRANSITIONS,
    ExecutionStatus,
    NodeStatus,
)

MAPS = [
    pytest.param(NodeStatus, NODE_TRANSITIONS, NODE_TERMINAL, id="node"),
    pytest.param(ExecutionStatus, EXECUTION_TRANSITIONS, EXECUTION_TERMINAL, id="execution"),
]


@pytest.mark.parametrize(("statuses", "transitions", "terminal"), MAPS)
def test_the_map_is_whole_and_terminal_statuses_have_no_exits(
    statuses: type[TextChoices], transitions: dict[str, frozenset[str]], terminal: frozenset[str]
) -> None:
    values = {status.value for status in statuses}
    # Every status has an entry, and the map names no status that does not exist.
    assert set(transitions) == values
    for source, targets in transitions.items():
        assert targets <= values, f"{source} -> {targets - values}"
        assert source not in targets, f"{source} -> {source} is not a move"
    assert terminal <= values
    for status in terminal:
        assert transitions[status] == frozenset(), f"terminal {status} has exits"
    # Every terminal status can be reached, and nothing moves back to the initial status.
    entered = set().union(*transitions.values())
    initial = statuses.PENDING.value  # type: ignore[attr-defined]
    assert terminal <= entered
    assert initial not in entered, "nothing moves back to pending"


@pytest.mark.parametrize(("statuses", "transitions", "terminal"), MAPS)
def test_every_live_status_can_move_on(
    statuses: type[TextChoices], transitions: dict[str, frozenset[str]], terminal: frozenset[str]
) -> None:
    """A status that is neither terminal nor left can strand a run forever."""
    stuck = {
        status.value
        for status in statuses
        if status.value not in terminal and not transitions[status.value]
    }
    assert stuck == set()


def test_the_retry_and_abort_moves_of_running_nodes() -> None:
    # A retry or a sweep hands the node back as ready; only a cancellation aborts a running one.
    assert NodeStatus.READY in NODE_TRANSITIONS[NodeStatus.RUNNING]
    assert NodeStatus.CANCELLED in NODE_TRANSITIONS[NodeStatus.RUNNING]
    assert NodeStatus.SKIPPED not in NODE_TRANSITIONS[NodeStatus.RUNNING]
    assert NodeStatus.RUNNING not in NODE_TRANSITIONS[NodeStatus.PENDING]


# --- The SQL agrees with the map ------------------------------------------------------------

_update = re.compile(r"^\s*UPDATE\s+(?P<table>\w+)(?:\s+(?:AS\s+)?(?P<alias>\w+))?\s+SET\s", re.I)
_where = re.compile(r"\bWHERE\b", re.I)
_clause_end = re.compile(r"\b(?:WHERE|RETURNING)\b", re.I)


def _column(alias: str | None) -> str:
    prefix = rf"(?:{re.escape(alias)}\.)?" if alias else ""
    return rf"(?<![\w.]){prefix}status"


def status_moves(sql: str, table: str) -> set[tuple[str, str]] | None:
    """(from, to) pairs an UPDATE of `table` can make; None when it does not set a status.

    Raises when the block sets a status it cannot be read from: a parameter, or an update
    with no status guard, would let any status move and must be checked by hand.
    """
    sql = re.sub(r"--[^\n]*", "", sql)
    match = _update.match(sql)
    if not match or match["table"] != table:
        return None
    alias = match["alias"] if match["alias"] and match["alias"].upper() != "SET" else None
    rest = sql[match.end() :]
    end = _clause_end.search(rest)
    set_clause = rest[: end.start()] if end else rest
    set_status = re.search(_column(alias) + r"\s*=\s*(?P<value>\S+)", set_clause)
    if set_status is None:
        return None
    literal = re.fullmatch(r"'(\w+)',?", set_status["value"])
    if literal is None:
        raise AssertionError(f"status is set from {set_status['value']!r}, not a literal")
    target = literal[1]
    where = _where.search(rest)
    guard_text = rest[where.end() :] if where else ""
    guard_text = re.split(r"\bRETURNING\b", guard_text, flags=re.I)[0]
    sources: set[str] = set()
    for guard in re.finditer(_column(alias) + r"\s*=\s*'(\w+)'", guard_text):
        sources.add(guard[1])
    for guard in re.finditer(_column(alias) + r"\s+IN\s*\(([^)]*)\)", guard_text, re.I):
        sources.update(re.findall(r"'(\w+)'", guard[1]))
    if not sources:
        raise AssertionError("status is set without a status guard (not a compare-and-set)")
    return {(source, target) for source in sources}


def sql_moves(table: str) -> dict[str, set[tuple[str, str]]]:
    found: dict[str, set[tuple[str, str]]] = {}
    for name, sql in sqlfile.queries().items():
        try:
            moves = status_moves(sql, table)
        except AssertionError as error:
            raise AssertionError(f"SQL block {name!r}: {error}") from None
        if moves is not None:
            found[name] = moves
    return found


NODE_BLOCKS = {
    "node_claim": {("ready", "running")},
    "node_mark_succeeded": {("running", "succeeded")},
    "node_mark_failed": {("running", "failed")},
    "node_mark_retrying": {("running", "ready")},
    "nodes_mark_ready": {("pending", "ready")},
    "nodes_mark_skipped": {("pending", "skipped")},
    "nodes_cancel_waiting": {
        ("pending", "cancelled"),
        ("ready", "cancelled"),
        ("paused", "cancelled"),
    },
    # Pauses (executions/sql/pauses.sql): a node waits, then is resumed or fails.
    "node_mark_paused": {("running", "paused")},
    "node_mark_resumed": {("paused", "succeeded")},
    "node_mark_pause_failed": {("paused", "failed")},
}


def test_every_node_status_update_in_the_sql_is_an_allowed_move() -> None:
    moves = sql_moves("node_executions")
    # The reader sees the blocks that move nodes, so this cannot pass by finding none.
    assert {name: moves.get(name) for name in NODE_BLOCKS} == NODE_BLOCKS
    forbidden = {
        name: sorted(move for move in found if move[1] not in NODE_TRANSITIONS.get(move[0], ()))
        for name, found in moves.items()
    }
    assert {name: bad for name, bad in forbidden.items() if bad} == {}


def test_every_execution_status_update_with_a_literal_status_is_an_allowed_move() -> None:
    moves: dict[str, set[tuple[str, str]]] = {}
    for name, sql in sqlfile.queries().items():
        if name == "execution_finalize":  # sets a parameter; checked below
            continue
        found = status_moves(sql, "workflow_executions")
        if found is not None:
            moves[name] = found
    assert moves["execution_mark_running"] == {("pending", "running")}
    assert moves["execution_mark_paused"] == {("running", "paused")}
    assert moves["execution_mark_held"] == {("pending", "paused"), ("running", "paused")}
    assert moves["execution_mark_resumed"] == {("paused", "running")}
    forbidden = {
        name: sorted(move for move in found if move[1] not in EXECUTION_TRANSITIONS[move[0]])
        for name, found in moves.items()
    }
    assert {name: bad for name, bad in forbidden.items() if bad} == {}


def test_execution_finalize_guard_matches_the_map() -> None:
    sql = sqlfile.query("execution_finalize")
    guarded: set[tuple[str, str]] = set()
    # transitions._finalize_if_done passes succeeded or failed as %(status)s.
    for status in (ExecutionStatus.SUCCEEDED, ExecutionStatus.FAILED):
        moves = status_moves(sql.replace("%(status)s", f"'{status}'"), "workflow_executions")
        assert moves is not None
        guarded |= moves
    assert guarded
    assert {move for move in guarded if move[1] not in EXECUTION_TRANSITIONS[move[0]]} == set()


@pytest.mark.parametrize(
    ("sql", "moves"),
    [
        (
            "UPDATE node_executions SET status = 'ready', attempt = attempt + 1 "
            "WHERE id = %(id)s AND status = 'succeeded' RETURNING attempt",
            {("succeeded", "ready")},
        ),
        (
            "UPDATE node_executions c SET status = 'cancelled' "
            "WHERE c.execution_id = %(id)s AND c.status IN ('succeeded', 'ready')",
            {("succeeded", "cancelled"), ("ready", "cancelled")},
        ),
        ("UPDATE node_executions SET published_at = now() WHERE status = 'ready'", None),
        ("UPDATE workflow_executions SET status = 'failed' WHERE status = 'running'", None),
    ],
)
def test_the_sql_reader_sees_forbidden_moves(sql: str, moves: set[tuple[str, str]] | None) -> None:
    assert status_moves(sql, "node_executions") == moves
    if moves:
        assert any(target not in NODE_TRANSITIONS[source] for source, target in moves)


@pytest.mark.parametrize(
    "sql",
    [
        "UPDATE node_executions SET status = %(status)s WHERE status = 'running'",
        "UPDATE node_executions SET status = 'failed' WHERE id = %(id)s",
    ],
)
def test_the_sql_reader_refuses_moves_it_cannot_check(sql: str) -> None:
    with pytest.raises(AssertionError):
        status_moves(sql, "node_executions")
