"""The figures of a chaos run, read from the ledger and the sink after the run.

Definitions (the issue's, made precise):
- started: executions written to the ledger (one per index: starts carry an idempotency key,
  so a start retried across a PostgreSQL outage never makes two);
- succeeded / failed: executions that ended so;
- lost: executions not finished when the run stopped waiting;
- stuck: the lost ones with no ledger activity (no node updated, no heartbeat) during the last
  sweep window, i.e. that nothing will ever move again without an operator;
- duplicate_side_effects: operations the sink applied more than once (see chaos.sink);
- replayed_requests: requests that repeated an applied Idempotency-Key (retries after crashes);
- missing_side_effects: operations of succeeded executions the sink never applied;
- recovery time of a fault: from the fault until the last node it hit finished and, for a
  server restart, until a node claimed after the restart finished (work flows again).
"""

from __future__ import annotations

import re
from collections import Counter
from datetime import datetime
from pathlib import Path
from typing import Any

from django.db import connection

from chaos.faults import Fault
from chaos.sink import IdempotentSink

KEY_PREFIX = "chaos-"
UNFINISHED_SAMPLES = 10
OUTCOME = re.compile(rb"Task executions\.run_node\[[^\]]+\] succeeded in [\d.]+s: '(\w+)'")
SWEPT = re.compile(rb"sweeper: node \S+ attempt \d+ (\w+)")
RELAYED = re.compile(rb"relay: publishing (\d+) ready node runs")


def _rows(sql: str, params: dict[str, Any]) -> list[tuple[Any, ...]]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return list(cursor.fetchall())


def status_counts() -> dict[str, int]:
    rows = _rows(
        "SELECT status, count(*) FROM workflow_executions "
        "WHERE idempotency_key LIKE %(prefix)s GROUP BY status",
        {"prefix": KEY_PREFIX + "%"},
    )
    return {status: count for status, count in rows}


def running_nodes(worker_names: list[str] | None) -> list[int]:
    rows = _rows(
        "SELECT id FROM node_executions WHERE status = 'running' "
        "AND (%(names)s::text[] IS NULL OR worker = ANY(%(names)s))",
        {"names": worker_names},
    )
    return [row[0] for row in rows]


def last_activity_of_unfinished() -> datetime | None:
    """The newest node update or heartbeat among unfinished executions (None: none left)."""
    rows = _rows(
        "SELECT max(greatest(n.updated_at, n.heartbeat_at)) "
        "FROM workflow_executions e JOIN node_executions n ON n.execution_id = e.id "
        "WHERE e.idempotency_key LIKE %(prefix)s "
        "AND e.status NOT IN ('succeeded', 'failed', 'cancelled')",
        {"prefix": KEY_PREFIX + "%"},
    )
    return rows[0][0] if rows else None


def _unfinished(sweep_window_seconds: float) -> tuple[int, int, list[dict[str, Any]]]:
    rows = _rows(
        "SELECT e.id, e.status, e.idempotency_key, "
        "  extract(epoch FROM now() - max(greatest(n.updated_at, n.heartbeat_at))), "
        "  json_agg(json_build_object('node', n.node_id, 'status', n.status, "
        "    'attempt', n.attempt, 'worker', n.worker, 'relayed_at', n.relayed_at, "
        "    'heartbeat_at', n.heartbeat_at, 'error', left(n.error, 200)) ORDER BY n.node_id) "
        "FROM workflow_executions e JOIN node_executions n ON n.execution_id = e.id "
        "WHERE e.idempotency_key LIKE %(prefix)s "
        "AND e.status NOT IN ('succeeded', 'failed', 'cancelled') "
        "GROUP BY e.id ORDER BY e.created_at",
        {"prefix": KEY_PREFIX + "%"},
    )
    stuck = sum(1 for row in rows if row[3] is None or row[3] > sweep_window_seconds)
    samples = [
        {
            "execution": str(row[0]),
            "status": row[1],
            "key": row[2],
            "idle_seconds": None if row[3] is None else round(float(row[3]), 1),
            "nodes": row[4],
        }
        for row in rows[:UNFINISHED_SAMPLES]
    ]
    return len(rows), stuck, samples


def _failed_samples() -> list[dict[str, Any]]:
    rows = _rows(
        "SELECT id, idempotency_key, left(error, 300) FROM workflow_executions "
        "WHERE idempotency_key LIKE %(prefix)s AND status = 'failed' "
        "ORDER BY created_at LIMIT %(limit)s",
        {"prefix": KEY_PREFIX + "%", "limit": UNFINISHED_SAMPLES},
    )
    return [{"execution": str(row[0]), "key": row[1], "error": row[2]} for row in rows]


def _missing_side_effects(sink: IdempotentSink, effect_nodes: list[str]) -> list[str]:
    keys = _rows(
        "SELECT idempotency_key FROM workflow_executions "
        "WHERE idempotency_key LIKE %(prefix)s AND status = 'succeeded'",
        {"prefix": KEY_PREFIX + "%"},
    )
    applied = sink.applied_operations()
    return [
        f"{key}/{node}"
        for (key,) in keys
        for node in effect_nodes
        if f"{key}/{node}" not in applied
    ]


def _node_figures() -> dict[str, Any]:
    rows = _rows(
        "SELECT count(*), coalesce(sum(n.attempt - 1), 0), "
        "  count(*) FILTER (WHERE n.attempt > 1) "
        "FROM node_executions n JOIN workflow_executions e ON e.id = n.execution_id "
        "WHERE e.idempotency_key LIKE %(prefix)s",
        {"prefix": KEY_PREFIX + "%"},
    )
    total, extra_attempts, retried = rows[0]
    return {"node_executions": total, "extra_attempts": int(extra_attempts), "retried": retried}


def worker_log_figures(log_directory: Path) -> dict[str, Any]:
    """What the workers said: node message outcomes (a `duplicate` is a redelivered or
    republished message the claim dropped), sweeper take-backs and relayed messages."""
    outcomes: Counter[str] = Counter()
    swept: Counter[str] = Counter()
    relayed = 0
    for path in sorted(log_directory.glob("chaos-*.log")):
        text = path.read_bytes()
        outcomes.update(match.decode() for match in OUTCOME.findall(text))
        swept.update(match.decode() for match in SWEPT.findall(text))
        relayed += sum(int(match) for match in RELAYED.findall(text))
    return {
        "node_message_outcomes": dict(sorted(outcomes.items())),
        "sweeper_take_backs": dict(sorted(swept.items())),
        "relayed_messages": relayed,
    }


def fault_recovery(fault: Fault) -> float | None:
    """Seconds from the fault until the work it hit, and the flow of new work, were back."""
    moments: list[float] = []
    if fault.affected_node_ids:
        rows = _rows(
            "SELECT count(*) FILTER (WHERE completed_at IS NULL), "
            "  extract(epoch FROM max(completed_at)) "
            "FROM node_executions WHERE id = ANY(%(ids)s)",
            {"ids": fault.affected_node_ids},
        )
        unfinished, last_completed = rows[0]
        if unfinished:
            return None  # some node it hit never finished: not recovered
        moments.append(float(last_completed))
    if fault.kind in ("rabbitmq_restart", "postgres_restart") or not moments:
        # Progress resumed: the first node claimed after the restart that then finished.
        rows = _rows(
            "SELECT extract(epoch FROM min(completed_at)) FROM node_executions "
            "WHERE started_at >= to_timestamp(%(since)s) AND completed_at IS NOT NULL",
            {"since": fault.restored_at},
        )
        if rows[0][0] is not None:
            moments.append(float(rows[0][0]))
    if not moments:
        return None
    return round(max(moments) - fault.at, 2)


def build(
    *,
    requested: int,
    sink: IdempotentSink,
    effect_nodes: list[str],
    faults: list[Fault],
    sweep_window_seconds: float,
) -> dict[str, Any]:
    counts = status_counts()
    unfinished, stuck, unfinished_samples = _unfinished(sweep_window_seconds)
    sink_figures = sink.figures()
    missing = _missing_side_effects(sink, effect_nodes)
    fault_list = []
    recoveries: list[float] = []
    unrecovered = 0
    for fault in faults:
        recovery = fault_recovery(fault)
        if recovery is None and fault.affected_node_ids:
            unrecovered += 1
        if recovery is not None:
            recoveries.append(recovery)
        fault_list.append({**fault.as_dict(), "recovery_seconds": recovery})
    kinds = [fault.kind for fault in faults]
    return {
        "requested": requested,
        "started": sum(counts.values()),
        "succeeded": counts.get("succeeded", 0),
        "failed": counts.get("failed", 0),
        "lost": unfinished,
        "stuck": stuck,
        "duplicate_side_effects": sink_figures["duplicate_side_effects"],
        "replayed_requests": sink_figures["replayed_requests"],
        "missing_side_effects": len(missing),
        "max_recovery_seconds": max(recoveries) if recoveries else None,
        "unrecovered_faults": unrecovered,
        "faults": {
            "worker_kills": kinds.count("worker_kill"),
            "worker_child_kills": kinds.count("worker_child_kill"),
            "rabbitmq_restarts": kinds.count("rabbitmq_restart"),
            "postgres_restarts": kinds.count("postgres_restart"),
            "list": fault_list,
        },
        "sink": sink_figures,
        "nodes": _node_figures(),
        "samples": {
            "unfinished": unfinished_samples,
            "failed": _failed_samples(),
            "missing_side_effects": missing[:UNFINISHED_SAMPLES],
        },
    }


def requirements_problems(report: dict[str, Any], plan_faults: dict[str, bool]) -> list[str]:
    """What keeps the run from meeting the issue's bar; empty when it holds."""
    problems: list[str] = []
    if report["started"] != report["requested"]:
        problems.append(f"started {report['started']} of {report['requested']}")
    if report["succeeded"] != report["requested"]:
        problems.append(f"succeeded {report['succeeded']} of {report['requested']}")
    for name in ("failed", "lost", "stuck", "duplicate_side_effects", "missing_side_effects"):
        if report[name]:
            problems.append(f"{name} = {report[name]}")
    if report["unrecovered_faults"]:
        problems.append(f"{report['unrecovered_faults']} faults hit nodes that never finished")
    faults = report["faults"]
    if plan_faults["kill_workers"] and not faults["worker_kills"] + faults["worker_child_kills"]:
        problems.append("no worker was killed")
    if plan_faults["restart_rabbitmq"] and not faults["rabbitmq_restarts"]:
        problems.append("RabbitMQ was not restarted")
    if plan_faults["restart_postgres"] and not faults["postgres_restarts"]:
        problems.append("PostgreSQL was not restarted")
    return problems
