"""The real services integration tests need: a RabbitMQ vhost of their own and worker processes.

A missing service skips the tests locally with the reason, and fails them under CI=true: in CI a
missing service is a broken setup, not an excuse.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from kombu import Connection

from tests.required import unavailable

REPO = Path(__file__).resolve().parents[2]


def broker_base_url() -> str:
    url = os.environ.get("CELERY_BROKER_URL", "")
    if not url.startswith("amqp"):
        unavailable("CELERY_BROKER_URL is not set to a RabbitMQ server (amqp://...)")
    try:
        with Connection(url, connect_timeout=3) as connection:
            connection.ensure_connection(max_retries=1)
    except Exception as error:
        unavailable(f"RabbitMQ at {url} is not reachable: {error}")
    return url


@contextmanager
def private_vhost(base_url: str) -> Iterator[str]:
    """A vhost of our own, so tests never share queues with any other worker on the broker."""
    rabbitmqctl = shutil.which("rabbitmqctl")
    if rabbitmqctl is None:
        yield base_url
        return
    name = f"zzyra_test_{uuid.uuid4().hex[:8]}"
    user = urlsplit(base_url).username or "guest"
    subprocess.run([rabbitmqctl, "-q", "add_vhost", name], check=True, capture_output=True)
    subprocess.run(
        [rabbitmqctl, "-q", "set_permissions", "-p", name, user, ".*", ".*", ".*"],
        check=True,
        capture_output=True,
    )
    parts = urlsplit(base_url)
    try:
        yield urlunsplit((parts.scheme, parts.netloc, "/" + name, "", ""))
    finally:
        subprocess.run([rabbitmqctl, "-q", "delete_vhost", name], capture_output=True)


class Workers:
    """Real `celery worker` processes serving the engine and io queues."""

    def __init__(self, broker_url: str, database_url: str, log_directory: Path) -> None:
        self.broker_url = broker_url
        self.database_url = database_url
        self.log_directory = log_directory
        self.processes: list[subprocess.Popen[bytes]] = []
        self.logs: list[Path] = []

    def start(self, count: int, concurrency: int = 2) -> None:
        for _ in range(count):
            self.start_one(concurrency)
        for index in range(len(self.processes)):
            self.wait_ready(index)

    def start_one(self, concurrency: int = 2) -> int:
        index = len(self.processes)
        log = self.log_directory / f"worker-{index}.log"
        env = {
            **os.environ,
            "DATABASE_URL": self.database_url,
            "CELERY_BROKER_URL": self.broker_url,
            "ZZYRA_LOG_LEVEL": "INFO",
            # Short leases so crash tests take seconds, not the production five minutes.
            "ZZYRA_HEARTBEAT_INTERVAL_SECONDS": "1",
            "ZZYRA_CANCEL_POLL_SECONDS": "0.2",
            # Timers due later than this rely on beat's pause scan alone, so tests see both.
            "ZZYRA_PAUSE_COUNTDOWN_MAX_SECONDS": "3",
        }
        command = [
            sys.executable, "-m", "celery", "-A", "zzyra", "worker",
            "-Q", "engine,io,sandbox,maintenance", "-c", str(concurrency),
            "-n", f"itest{index}-{os.getpid()}@%h",
            "--without-gossip", "--without-mingle", "--loglevel", "INFO",
        ]  # fmt: skip
        self.processes.append(
            subprocess.Popen(
                command, cwd=REPO, env=env, stdout=log.open("wb"), stderr=subprocess.STDOUT
            )
        )
        self.logs.append(log)
        return index

    def wait_ready(self, index: int, timeout_seconds: float = 60) -> None:
        deadline = time.monotonic() + timeout_seconds
        while time.monotonic() < deadline:
            if self.processes[index].poll() is not None:
                raise RuntimeError(
                    f"worker {index} exited:\n{self.logs[index].read_text()[-3000:]}"
                )
            if b" ready." in self.logs[index].read_bytes():
                return
            time.sleep(0.2)
        raise RuntimeError(f"worker {index} not ready after {timeout_seconds} s")

    def log_text(self) -> str:
        return "\n".join(log.read_text(errors="replace") for log in self.logs)

    def stop(self) -> None:
        for process in self.processes:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process in self.processes:
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()

    def start_fresh(self, count: int, concurrency: int = 2) -> None:
        """Start `count` new workers (after `stop`, as a redeploy would) and wait for them."""
        started = [self.start_one(concurrency) for _ in range(count)]
        for index in started:
            self.wait_ready(index)


class Beat:
    """A real `celery beat` process on django-celery-beat's DatabaseScheduler, reading the
    periodic jobs (relay, sweep, pause scan) from the test database."""

    def __init__(self, broker_url: str, database_url: str, log_directory: Path) -> None:
        self.broker_url = broker_url
        self.database_url = database_url
        self.log_directory = log_directory
        self.process: subprocess.Popen[bytes] | None = None
        self.starts = 0

    def start(self, timeout_seconds: float = 30) -> None:
        log = self.log_directory / f"beat-{self.starts}.log"
        self.starts += 1
        env = {
            **os.environ,
            "DATABASE_URL": self.database_url,
            "CELERY_BROKER_URL": self.broker_url,
        }
        command = [
            sys.executable, "-m", "celery", "-A", "zzyra", "beat", "--loglevel", "INFO",
            "--pidfile=", "--schedule", str(self.log_directory / "beat-schedule"),
        ]  # fmt: skip
        self.process = subprocess.Popen(
            command, cwd=REPO, env=env, stdout=log.open("wb"), stderr=subprocess.STDOUT
        )
        deadline = time.monotonic() + timeout_seconds
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"beat exited:\n{log.read_text()[-3000:]}")
            if b"Sending due task" in log.read_bytes():
                return
            time.sleep(0.1)
        raise RuntimeError(f"beat sent nothing within {timeout_seconds} s")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
        self.process = None
