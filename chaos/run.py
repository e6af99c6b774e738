"""One chaos run: private stack up, executions started under faults, wait, report, tear down.

The run happens in this process, with DATABASE_URL and CELERY_BROKER_URL pointing at the
private servers before Django and the Celery app are loaded (both read them at import), so
starting executions goes through the same service as the API: `execution_start`, with an
idempotency key per execution, retried while PostgreSQL or RabbitMQ is down. Everything the run
starts is stopped in `finally`, whatever happened.
"""

from __future__ import annotations

import logging
import os
import shutil
import sys
import tempfile
import threading
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from chaos.faults import FaultInjector, FaultPlan
from chaos.processes import REPO, Fleet
from chaos.sink import IdempotentSink
from chaos.stack import PostgresServer, RabbitMQServer

FAN_OUT = 4
EFFECT_NODES = [*(f"pay{index}" for index in range(1, FAN_OUT + 1)), "notify"]
PROGRESS_INTERVAL_SECONDS = 5.0
logger = logging.getLogger("zzyra.chaos")
# Every node may be taken back by the sweeper after a crash, which spends an attempt.
NODE_RETRY = {"max_attempts": 10, "initial_interval_seconds": 1, "max_interval_seconds": 5}


@dataclass(frozen=True)
class ChaosConfig:
    executions: int
    workers: int
    concurrency: int
    chaos_seconds: float
    kill_interval_seconds: float
    kill_mode: str
    kill_workers: bool
    restart_rabbitmq: bool
    restart_postgres: bool
    timeout_seconds: float
    stale_seconds: int
    heartbeat_interval_seconds: int
    sweep_interval_seconds: int
    republish_after_seconds: int
    sink_delay_seconds: float
    keep: bool

    @property
    def sweep_window_seconds(self) -> float:
        """How long a stranded node may wait before the sweeper or relay must have moved it."""
        return (
            self.stale_seconds + 2 * self.sweep_interval_seconds + self.republish_after_seconds + 15
        )


def say(message: str) -> None:
    print(f"[chaos {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def engine_environment(config: ChaosConfig, database_url: str, broker_url: str) -> dict[str, str]:
    """What the workers, beat and this process run with: the private stack, short limits."""
    return {
        "DJANGO_SETTINGS_MODULE": "zzyra.settings",
        "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")])),
        "PYTHONUNBUFFERED": "1",
        "DATABASE_URL": database_url,
        "CELERY_BROKER_URL": broker_url,
        "ZZYRA_DISPATCHER": "celery",
        "ZZYRA_QUEUE_TYPE": "classic",
        "ZZYRA_LOG_LEVEL": "INFO",
        "ZZYRA_STALE_SECONDS": str(config.stale_seconds),
        "ZZYRA_STALE_SECONDS_BY_TYPE": "",
        "ZZYRA_HEARTBEAT_INTERVAL_SECONDS": str(config.heartbeat_interval_seconds),
        "ZZYRA_SWEEP_INTERVAL_SECONDS": str(config.sweep_interval_seconds),
        "ZZYRA_RELAY_GRACE_SECONDS": "3",
        "ZZYRA_RELAY_INTERVAL_SECONDS": "2",
        "ZZYRA_REPUBLISH_AFTER_SECONDS": str(config.republish_after_seconds),
    }


def chaos_graph(sink_url: str) -> dict[str, Any]:
    """root -> pay1..payK (HTTP POSTs, in parallel) -> join (all) -> notify (HTTP POST)."""

    def node(node_id: str, node_type: str, config: dict[str, Any]) -> dict[str, Any]:
        return {"id": node_id, "type": node_type, "data": {"config": config, "retry": NODE_RETRY}}

    def effect(node_id: str) -> dict[str, Any]:
        return node(
            node_id,
            "http",
            {
                "method": "POST",
                "url": f"{sink_url}/effects",
                "body": {"operation": f"{{{{ input.run }}}}/{node_id}"},
                "timeout_seconds": 10,
            },
        )

    payments = EFFECT_NODES[:-1]
    nodes = [
        node("root", "transform", {"output": {"run": "{{ input.run }}"}}),
        *(effect(node_id) for node_id in payments),
        node("join", "transform", {"output": {"paid": len(payments)}}),
        effect("notify"),
    ]
    edges = [
        *({"source": "root", "target": node_id} for node_id in payments),
        *({"source": node_id, "target": "join"} for node_id in payments),
        {"source": "join", "target": "notify"},
    ]
    return {"nodes": nodes, "edges": edges}


class Starter:
    """Starts execution i at t0 + i * spacing; retries each start until it is in the ledger."""

    def __init__(self, owner_id: int, workflow: Any, count: int, spread_seconds: float) -> None:
        self.owner_id = owner_id
        self.workflow = workflow
        self.count = count
        self.spacing = spread_seconds / count if count else 0.0
        self.started = 0
        self.start_errors = 0
        self.last_error = ""
        self.finished_at: float | None = None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="chaos-starter", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=30)

    def done(self) -> bool:
        return self.finished_at is not None

    def _loop(self) -> None:
        from django.db import connection

        from executions.services import execution_start

        begin = time.monotonic()
        for index in range(self.count):
            if self._stop.wait(max(0.0, begin + index * self.spacing - time.monotonic())):
                return
            while not self._stop.is_set():
                try:
                    execution_start(
                        owner_id=self.owner_id,
                        workflow=self.workflow,
                        input={"run": f"chaos-{index}"},
                        idempotency_key=f"chaos-{index}",
                        trigger="chaos",
                    )
                    self.started += 1
                    break
                except Exception as error:
                    # The ledger is down: the same key again is safe, it never starts twice.
                    self.start_errors += 1
                    self.last_error = f"{type(error).__name__}: {error}"[:300]
                    logger.warning("start of chaos-%d failed: %s", index, error, exc_info=True)
                    connection.close()
                    self._stop.wait(0.5)
        connection.close()
        self.finished_at = time.time()


def _log_to_file(path: Path) -> None:
    """This process's engine logs (broker outages, relays) go to a file, not the terminal."""
    handler = logging.FileHandler(path)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s %(message)s"))
    root = logging.getLogger()
    for existing in list(root.handlers):
        root.removeHandler(existing)
    root.addHandler(handler)


def _ledger_counts() -> dict[str, int] | None:
    from django.db import connection

    from chaos import report

    try:
        return report.status_counts()
    except Exception:
        connection.close()
        return None


def run(config: ChaosConfig) -> tuple[dict[str, Any], list[str]]:
    """Returns the report and the problems that keep it from meeting the requirements."""
    wall_start = time.time()
    base = Path(tempfile.mkdtemp(prefix="zzyra-chaos-"))
    log_directory = base / "logs"
    log_directory.mkdir()
    postgres = PostgresServer(base)
    rabbitmq = RabbitMQServer(base)
    sink = IdempotentSink(reply_delay_max_seconds=config.sink_delay_seconds)
    fleet: Fleet | None = None
    injector: FaultInjector | None = None
    starter: Starter | None = None
    problems: list[str] = ["the run did not finish"]
    say(f"working directory {base}")
    try:
        say(f"starting PostgreSQL on {postgres.port} and RabbitMQ on {rabbitmq.port}")
        postgres.initialize()
        postgres.start()
        postgres.create_database()
        rabbitmq.initialize()
        rabbitmq.start()
        environment = engine_environment(config, postgres.url, rabbitmq.url)
        os.environ.update(environment)  # before Django and the Celery app read them

        import django

        django.setup()
        from database.roles import process_owner_enable

        # This process is the harness, like the test runner: it reads every tenant's rows for
        # the report, so it keeps the login role. Workers and beat drop to the application
        # role, with row-level security, as in production.
        process_owner_enable()
        _log_to_file(log_directory / "chaos-run.log")
        from django.contrib.auth import get_user_model
        from django.core.management import call_command

        from chaos import report
        from workflows.services import workflow_create

        say("migrating the private database")
        call_command("migrate", verbosity=0)
        sink.serve()
        owner = get_user_model().objects.create_user(username="chaos")
        workflow = workflow_create(
            owner_id=owner.pk, name="chaos fan-out", graph=chaos_graph(sink.url)
        )
        fleet = Fleet({**os.environ}, log_directory, config.workers, config.concurrency)
        say(f"starting {config.workers} workers (concurrency {config.concurrency}) and beat")
        fleet.start()
        fleet.wait_ready()
        setup_seconds = time.time() - wall_start

        plan = FaultPlan(
            window_seconds=config.chaos_seconds,
            kill_interval_seconds=config.kill_interval_seconds,
            kill_mode=config.kill_mode,
            restart_rabbitmq=config.restart_rabbitmq,
            restart_postgres=config.restart_postgres,
            kill_workers=config.kill_workers,
        )
        injector = FaultInjector(plan, fleet, postgres, rabbitmq, _running_nodes_quietly)
        starter = Starter(owner.pk, workflow, config.executions, config.chaos_seconds)
        chaos_start = time.time()
        say(
            f"starting {config.executions} executions over {config.chaos_seconds:.0f} s "
            f"with faults; sink at {sink.url}"
        )
        starter.start()
        injector.start()
        finished_at = _wait(config, fleet, starter, injector, chaos_start)
        chaos_end = max(chaos_start + config.chaos_seconds, starter.finished_at or 0.0)

        built = report.build(
            requested=config.executions,
            sink=sink,
            effect_nodes=EFFECT_NODES,
            faults=injector.faults,
            sweep_window_seconds=config.sweep_window_seconds,
        )
        problems = report.requirements_problems(
            built,
            {
                "kill_workers": config.kill_workers,
                "restart_rabbitmq": config.restart_rabbitmq,
                "restart_postgres": config.restart_postgres,
            },
        )
        problems += [f"fault injection: {error}" for error in injector.errors]
        built["durations_seconds"] = {
            "setup": round(setup_seconds, 1),
            "chaos_window": round(chaos_end - chaos_start, 1),
            "drain_after_window": round(max(0.0, finished_at - chaos_end), 1),
            "executions_total": round(finished_at - chaos_start, 1),
            "wall": round(time.time() - wall_start, 1),
        }
        built["workers_said"] = report.worker_log_figures(log_directory)
        built["processes"] = {
            "worker_restarts": fleet.restarts,
            "unexpected_exits": fleet.unexpected_exits,
            "start_retries": starter.start_errors,
            "max_queued_messages": fleet.max_queued_messages,
        }
        built["config"] = {**asdict(config), "sweep_window_seconds": config.sweep_window_seconds}
        built["requirements_met"] = not problems
        built["problems"] = problems
        built["log_directory"] = str(log_directory) if (config.keep or problems) else None
        return built, problems
    finally:
        say("stopping workers, beat, RabbitMQ and PostgreSQL")
        if injector is not None:
            injector.stop()
        if starter is not None:
            starter.stop()
        if fleet is not None:
            fleet.stop()
        sink.shutdown()
        _close_database()
        rabbitmq.stop()
        postgres.stop()
        if config.keep or problems:
            say(f"kept {base} (logs in {log_directory})")
        else:
            shutil.rmtree(base, ignore_errors=True)


def _queued_messages(broker_url: str) -> int | None:
    """Messages waiting in the engine and io queues (None while the broker is down): a queue
    that grows faster than executions start means messages are multiplying."""
    from kombu import Connection

    try:
        with Connection(broker_url, connect_timeout=2) as broker:
            channel: Any = broker.default_channel  # a py-amqp channel: queue_declare exists
            return sum(
                channel.queue_declare(queue=name, passive=True).message_count
                for name in ("engine", "io")
            )
    except Exception:
        return None


def _running_nodes_quietly(worker_names: list[str] | None) -> list[int] | None:
    """Retried for a while: a connection broken by the PostgreSQL restart needs a new one, and
    the rows of killed processes stay as they are until the sweeper, seconds later."""
    from django.db import connection

    from chaos import report

    for _ in range(5):
        try:
            return report.running_nodes(worker_names)
        except Exception:
            connection.close()
            time.sleep(1.0)
    return None


def _close_database() -> None:
    try:
        from django.db import connections

        connections.close_all()
    except Exception:
        pass


def _wait(
    config: ChaosConfig,
    fleet: Fleet,
    starter: Starter,
    injector: FaultInjector,
    chaos_start: float,
) -> float:
    """Until every execution ended, the timeout passed, or nothing moved for a sweep window
    after the faults stopped. Returns when the last execution ended (or when waiting stopped)."""
    from chaos import report

    deadline = chaos_start + config.chaos_seconds + config.timeout_seconds
    next_progress = 0.0
    broker_url = os.environ["CELERY_BROKER_URL"]
    while True:
        time.sleep(1.0)
        now = time.time()
        fleet.supervise()  # a dead worker or beat is replaced, as a supervisor would
        counts = _ledger_counts()
        calm = starter.done() and injector.done()
        if counts is not None:
            ended = sum(counts.get(status, 0) for status in ("succeeded", "failed", "cancelled"))
            if calm and ended >= config.executions:
                return now
        if now >= next_progress:
            next_progress = now + PROGRESS_INTERVAL_SECONDS
            queued = _queued_messages(broker_url)
            if queued is not None:
                fleet.max_queued_messages = max(fleet.max_queued_messages, queued)
            _progress(now - chaos_start, config, starter, injector, fleet, counts, queued)
        if now > deadline:
            say("timeout: stopped waiting")
            return now
        if calm and now > chaos_start + config.chaos_seconds + config.sweep_window_seconds:
            try:
                last = report.last_activity_of_unfinished()
            except Exception:
                continue
            if last is not None and now - last.timestamp() > config.sweep_window_seconds:
                say(f"nothing moved for {config.sweep_window_seconds:.0f} s: stopped waiting")
                return now


def _progress(
    elapsed: float,
    config: ChaosConfig,
    starter: Starter,
    injector: FaultInjector,
    fleet: Fleet,
    counts: dict[str, int] | None,
    queued: int | None,
) -> None:
    if counts is None:
        ledger = "ledger unreachable"
    else:
        ledger = ", ".join(f"{status} {count}" for status, count in sorted(counts.items()))
    say(
        f"t={elapsed:.0f}s started {starter.started}/{config.executions} | {ledger} | "
        f"queued {'?' if queued is None else queued} | faults {len(injector.faults)} | "
        f"workers up {len(fleet.running_workers())}"
        + (
            f" | start errors {starter.start_errors}, last: {starter.last_error}"
            if starter.start_errors
            else ""
        )
    )
