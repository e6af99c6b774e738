"""The processes under test: gunicorn serving the API and `celery worker` processes.

The benchmark starts them itself so a run always measures a known configuration, and stops
them whatever happens (an error, Ctrl-C, SIGTERM): each runs in its own process group and the
whole group is terminated, then killed if it lingers, so no prefork child outlives a run.

Queues: by default the stack gets a private RabbitMQ vhost (when `rabbitmqctl` is on PATH), so
no other worker on the machine steals or adds messages; the queues it consumes are purged
before the run either way.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import httpx

REPO = Path(__file__).resolve().parent.parent
WORKER_QUEUES = ("engine", "io", "sandbox")
STOP_TIMEOUT_SECONDS = 20.0


class StackError(RuntimeError):
    pass


@dataclass(frozen=True)
class StackConfig:
    workers: int
    concurrency: int
    api_workers: int
    log_directory: Path
    database_url: str
    profile_directory: Path | None = None


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def private_vhost(base_url: str, enabled: bool) -> Iterator[str]:
    """A throw-away vhost on the same broker, so the run shares no queue with anyone."""
    rabbitmqctl = shutil.which("rabbitmqctl")
    if not enabled or rabbitmqctl is None:
        yield base_url
        return
    name = f"zzyra_bench_{uuid.uuid4().hex[:8]}"
    parts = urlsplit(base_url)
    user = parts.username or "guest"
    try:
        subprocess.run([rabbitmqctl, "-q", "add_vhost", name], check=True, capture_output=True)
        subprocess.run(
            [rabbitmqctl, "-q", "set_permissions", "-p", name, user, ".*", ".*", ".*"],
            check=True,
            capture_output=True,
        )
    except (OSError, subprocess.CalledProcessError) as error:
        raise StackError(
            f"could not create a private vhost with rabbitmqctl ({error}); "
            "pass --shared-vhost to use the broker URL as given"
        ) from error
    try:
        yield urlunsplit((parts.scheme, parts.netloc, "/" + name, parts.query, ""))
    finally:
        subprocess.run([rabbitmqctl, "-q", "delete_vhost", name], capture_output=True)


def purge_queues(broker_url: str) -> dict[str, int]:
    """Drop leftover messages in the queues the workers consume; returns how many per queue."""
    from kombu import Connection

    from zzyra.celery import build_queues

    queues = {
        queue.name: queue for queue in build_queues(os.environ.get("ZZYRA_QUEUE_TYPE", "classic"))
    }
    purged: dict[str, int] = {}
    with Connection(broker_url) as connection:
        channel = connection.default_channel
        for name in WORKER_QUEUES:
            bound = queues[name](channel)
            bound.declare()
            purged[name] = bound.purge() or 0
    return purged


class Stack:
    """gunicorn + celery workers as subprocesses; use as a context manager."""

    def __init__(self, config: StackConfig, broker_url: str) -> None:
        self.config = config
        self.broker_url = broker_url
        self.port = free_port()
        self.processes: list[tuple[str, subprocess.Popen[bytes]]] = []
        self.worker_names: list[str] = []

    @property
    def api_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> Stack:
        try:
            self.start()
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def _environment(self) -> dict[str, str]:
        env = {
            **os.environ,
            "DATABASE_URL": self.config.database_url,
            "CELERY_BROKER_URL": self.broker_url,
            "ZZYRA_DISPATCHER": "celery",
            # Per-task INFO lines would cost more than the no-op nodes being measured.
            "ZZYRA_LOG_LEVEL": os.environ.get("ZZYRA_BENCH_LOG_LEVEL", "WARNING"),
            "PYTHONUNBUFFERED": "1",
        }
        if self.config.profile_directory is not None:
            env["ZZYRA_BENCH_PROFILE_DIR"] = str(self.config.profile_directory)
        return env

    def _spawn(self, name: str, command: list[str]) -> None:
        log = self.config.log_directory / f"{name}.log"
        with log.open("wb") as handle:
            process = subprocess.Popen(
                command,
                cwd=REPO,
                env=self._environment(),
                stdout=handle,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # its own process group, killed as a whole
            )
        self.processes.append((name, process))

    def start(self) -> None:
        self.config.log_directory.mkdir(parents=True, exist_ok=True)
        bin_directory = Path(sys.executable).parent
        self._spawn(
            "gunicorn",
            [
                str(bin_directory / "gunicorn"),
                "zzyra.wsgi:application",
                "--bind", f"127.0.0.1:{self.port}",
                "--workers", str(self.config.api_workers),
                "--worker-class", "sync",
                "--backlog", "2048",
                "--timeout", "120",
                "--log-level", "warning",
            ],
        )  # fmt: skip
        run_tag = uuid.uuid4().hex[:6]
        for index in range(self.config.workers):
            name = f"bench{index}-{run_tag}@{socket.gethostname()}"
            self.worker_names.append(name)
            self._spawn(
                f"worker-{index}",
                [
                    str(bin_directory / "celery"), "-A", "zzyra", "worker",
                    "-Q", ",".join(WORKER_QUEUES),
                    "-P", "prefork", "-c", str(self.config.concurrency),
                    "-n", name,
                    "-I", "benchmarks.tasks",
                    "--without-gossip", "--without-mingle",
                    "--loglevel", "WARNING",
                ],
            )  # fmt: skip
        self._wait_api()
        self._wait_workers()

    def _check_alive(self) -> None:
        for name, process in self.processes:
            if process.poll() is not None:
                log = (self.config.log_directory / f"{name}.log").read_text(errors="replace")
                raise StackError(f"{name} exited with {process.returncode}:\n{log[-3000:]}")

    def _wait_api(self, timeout_seconds: float = 60) -> None:
        deadline = time.monotonic() + timeout_seconds
        while time.monotonic() < deadline:
            self._check_alive()
            try:
                # 401/403 without a token is fine: Django answered.
                httpx.get(f"{self.api_url}/api/workflows/", timeout=2)
                return
            except httpx.HTTPError:
                time.sleep(0.2)
        raise StackError(f"gunicorn did not answer on {self.api_url} within {timeout_seconds} s")

    def _wait_workers(self, timeout_seconds: float = 60) -> None:
        from zzyra.celery import app

        deadline = time.monotonic() + timeout_seconds
        waiting = set(self.worker_names)
        while waiting and time.monotonic() < deadline:
            self._check_alive()
            replies = app.control.ping(destination=sorted(waiting), timeout=1.0)
            for reply in replies or []:
                waiting.difference_update(reply)
        if waiting:
            raise StackError(f"workers not ready within {timeout_seconds} s: {sorted(waiting)}")

    def stop(self) -> None:
        """SIGTERM every process group (warm shutdown), then SIGKILL what is left."""
        for _, process in self.processes:
            _signal_group(process, signal.SIGTERM)
        deadline = time.monotonic() + STOP_TIMEOUT_SECONDS
        for _, process in self.processes:
            with suppress(subprocess.TimeoutExpired):
                process.wait(timeout=max(0.1, deadline - time.monotonic()))
        for _, process in self.processes:
            _signal_group(process, signal.SIGKILL)
            with suppress(subprocess.TimeoutExpired):
                process.wait(timeout=5)
        self.processes.clear()


def _signal_group(process: subprocess.Popen[bytes], signum: int) -> None:
    with suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, signum)
