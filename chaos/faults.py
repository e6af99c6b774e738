"""The kill loop: SIGKILL random workers every few seconds, restart RabbitMQ and PostgreSQL once.

Faults are injected on a schedule relative to the chaos window (the time over which executions
are started): worker kills every `kill_interval_seconds`, the RabbitMQ restart at a third of the
window and the PostgreSQL restart at two thirds, so each outage hits a system full of in-flight
work. A worker kill takes either the worker's whole process group (a host dying with its
pool) or one prefork child (a node crashing its process); both leave nodes `running` in the
ledger with nobody behind them, which only the heartbeat/sweeper can recover.

Each fault records what it hit, read from the ledger around the fault (the node executions
that were running on the killed processes, or all that were running when a server went
down), so the report can tell when the last of them finished: the recovery time.
"""

from __future__ import annotations

import random
import socket
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from chaos.processes import Fleet
from chaos.stack import PostgresServer, RabbitMQServer

# Reads the ids of node executions running under these worker names (None: any worker);
# returns None when the ledger cannot be read (it may be the thing that is down).
RunningNodes = Callable[[list[str] | None], list[int] | None]


@dataclass
class Fault:
    kind: str  # worker_kill, worker_child_kill, rabbitmq_restart, postgres_restart
    target: str
    at: float  # epoch seconds: when the fault was injected
    restored_at: float  # when the faulty part was back (the replacement started, server up)
    affected_node_ids: list[int] | None = None  # None: the ledger was unreadable
    error: str = ""

    def as_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "target": self.target,
            "at": round(self.at, 3),
            "downtime_seconds": round(self.restored_at - self.at, 2),
            "affected_nodes": None
            if self.affected_node_ids is None
            else len(self.affected_node_ids),
            **({"error": self.error} if self.error else {}),
        }


@dataclass
class FaultPlan:
    window_seconds: float
    kill_interval_seconds: float
    kill_mode: str  # group, child or mixed
    restart_rabbitmq: bool
    restart_postgres: bool
    kill_workers: bool


@dataclass
class FaultInjector:
    """Runs the plan on its own thread; `faults` is the record the report reads."""

    plan: FaultPlan
    fleet: Fleet
    postgres: PostgresServer
    rabbitmq: RabbitMQServer
    running_nodes: RunningNodes
    faults: list[Fault] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None
    _hostname: str = field(default_factory=socket.gethostname)

    def start(self) -> None:
        self._thread = threading.Thread(target=self._loop, name="chaos-faults", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=300)

    def done(self) -> bool:
        return self._thread is not None and not self._thread.is_alive()

    def _schedule(self, started: float) -> list[tuple[float, str]]:
        plan = self.plan
        events: list[tuple[float, str]] = []
        if plan.kill_workers:
            moment = plan.kill_interval_seconds
            while moment < plan.window_seconds:
                events.append((started + moment, "kill"))
                moment += plan.kill_interval_seconds
        if plan.restart_rabbitmq:
            events.append((started + plan.window_seconds / 3, "rabbitmq"))
        if plan.restart_postgres:
            events.append((started + plan.window_seconds * 2 / 3, "postgres"))
        return sorted(events)

    def _loop(self) -> None:
        for due, event in self._schedule(time.time()):
            # Restarts take a while; kills that fell due meanwhile are skipped, not bunched.
            if time.time() > due + self.plan.kill_interval_seconds and event == "kill":
                continue
            if self._stop.wait(max(0.0, due - time.time())):
                return
            try:
                if event == "kill":
                    self._kill_worker()
                elif event == "rabbitmq":
                    self._restart_rabbitmq()
                else:
                    self._restart_postgres()
            except Exception as error:  # a failed fault is reported, never a crash of the run
                self.errors.append(f"{event}: {type(error).__name__}: {error}")
                _say(f"fault {event} failed: {error}")

    def _kill_worker(self) -> None:
        self.fleet.supervise()
        workers = self.fleet.running_workers()
        if not workers:
            return
        member = random.choice(workers)
        mode = self.plan.kill_mode
        whole_group = mode == "group" or (mode == "mixed" and random.random() < 0.5)
        pids = member.pids()
        children = pids[1:]
        if not whole_group and not children:
            whole_group = True
        victim_pids = pids if whole_group else [random.choice(children)]
        at = time.time()
        self.fleet.kill(member, whole_group=whole_group, child_pid=victim_pids[0])
        # After the kill nothing can change those rows except the sweeper: an exact read.
        affected = self.running_nodes([f"{self._hostname}:{pid}" for pid in victim_pids])
        if whole_group:
            self.fleet.supervise()  # a supervisor starts the replacement at once
        kind = "worker_kill" if whole_group else "worker_child_kill"
        target = member.name if whole_group else f"{member.name} child {victim_pids[0]}"
        self.faults.append(Fault(kind, target, at, time.time(), affected))
        _say(f"fault: {kind} {target} ({_count(affected)} running nodes hit)")

    def _restart_rabbitmq(self) -> None:
        affected = self.running_nodes(None)
        at = time.time()
        _say("fault: RabbitMQ crash (SIGKILL) and restart")
        self.rabbitmq.crash()
        self.rabbitmq.start()
        fault = Fault("rabbitmq_restart", self.rabbitmq.node, at, time.time(), affected)
        self.faults.append(fault)
        _say(f"RabbitMQ back after {fault.restored_at - at:.1f} s")

    def _restart_postgres(self) -> None:
        affected = self.running_nodes(None)
        at = time.time()
        _say("fault: PostgreSQL crash (immediate stop) and restart")
        self.postgres.crash()
        self.postgres.start()
        fault = Fault(
            "postgres_restart", f"postgres:{self.postgres.port}", at, time.time(), affected
        )
        self.faults.append(fault)
        _say(f"PostgreSQL back after {fault.restored_at - at:.1f} s")


def _count(nodes: list[int] | None) -> str:
    return "?" if nodes is None else str(len(nodes))


def _say(message: str) -> None:
    print(f"[chaos {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)
