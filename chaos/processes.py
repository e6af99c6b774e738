"""Celery workers and beat as supervised subprocesses, the way a deployment runs them.

Each process runs in a session of its own, so a SIGKILL of its group takes the prefork
children with it, as when a host dies, and Ctrl-C on the terminal reaches only the chaos run,
which then stops everything in order. Like systemd or Kubernetes, the supervisor starts a new
worker when one dies; a process that exits without having been killed is counted, because a
worker that gives up on a broker or database restart is a finding in itself.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from contextlib import suppress
from dataclasses import dataclass, field
from pathlib import Path

import psutil

from chaos.stack import signal_group

REPO = Path(__file__).resolve().parent.parent
WORKER_QUEUES = "engine,io,maintenance"
STOP_TIMEOUT_SECONDS = 15.0


@dataclass
class Managed:
    """One supervised process: its role, its generation's name and log."""

    role: str  # "worker" or "beat"
    slot: int
    name: str
    log_path: Path
    process: subprocess.Popen[bytes]
    killed: bool = False
    ready_seen: bool = False

    def alive(self) -> bool:
        return self.process.poll() is None

    def pids(self) -> list[int]:
        """The process and all its descendants (the prefork pool children)."""
        try:
            parent = psutil.Process(self.process.pid)
            return [parent.pid, *(child.pid for child in parent.children(recursive=True))]
        except psutil.Error:
            return []

    def ready(self) -> bool:
        if self.role == "beat":
            return self.alive()
        if not self.ready_seen:
            try:
                self.ready_seen = b" ready." in self.log_path.read_bytes()
            except OSError:
                return False
        return self.ready_seen


@dataclass
class Fleet:
    """The workers and beat of one chaos run, restarted by `supervise()` when they die."""

    environment: dict[str, str]
    log_directory: Path
    workers: int
    concurrency: int
    members: list[Managed] = field(default_factory=list)
    unexpected_exits: list[str] = field(default_factory=list)
    restarts: int = 0
    max_queued_messages: int = 0  # sampled by the run's progress loop, reported with the rest
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _generation: int = 0
    _tag: str = field(default_factory=lambda: uuid.uuid4().hex[:4])

    def start(self) -> None:
        for slot in range(self.workers):
            self._spawn("worker", slot)
        self._spawn("beat", 0)

    def wait_ready(self, timeout_seconds: float = 120.0) -> None:
        deadline = time.monotonic() + timeout_seconds
        while time.monotonic() < deadline:
            with self._lock:
                members = list(self.members)
            for member in members:
                if not member.alive():
                    tail = member.log_path.read_text(errors="replace")[-3000:]
                    raise RuntimeError(f"{member.name} exited during startup:\n{tail}")
            if all(member.ready() for member in members):
                return
            time.sleep(0.3)
        raise RuntimeError(f"workers not ready within {timeout_seconds} s")

    def _spawn(self, role: str, slot: int) -> Managed:
        with self._lock:  # the run's loop and the kill loop both supervise
            self._generation += 1
            name = f"chaos-{role}{slot}-g{self._generation}-{self._tag}"
        log_path = self.log_directory / f"{name}.log"
        if role == "worker":
            command = [
                sys.executable, "-m", "celery", "-A", "zzyra", "worker",
                "-Q", WORKER_QUEUES, "-c", str(self.concurrency), "-n", f"{name}@%h",
                "--without-gossip", "--without-mingle", "--without-heartbeat",
                "--loglevel", "INFO",
            ]  # fmt: skip
        else:
            command = [
                sys.executable, "-m", "celery", "-A", "zzyra", "beat",
                "--scheduler", "django_celery_beat.schedulers:DatabaseScheduler",
                "--loglevel", "INFO",
            ]  # fmt: skip
        with log_path.open("wb") as log:
            process = subprocess.Popen(
                command,
                cwd=REPO,
                env=self.environment,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        member = Managed(role, slot, name, log_path, process)
        with self._lock:
            self.members.append(member)
        return member

    def running_workers(self) -> list[Managed]:
        """Workers that finished starting: killing a pool child while Celery is still starting
        its pool makes it give up ("Could not start worker processes"), which tests Celery's
        startup rather than the engine."""
        with self._lock:
            members = [m for m in self.members if m.role == "worker" and not m.killed]
        return [m for m in members if m.alive() and m.ready()]

    def kill(self, member: Managed, *, whole_group: bool, child_pid: int | None = None) -> None:
        """SIGKILL a worker's whole group (a host crash) or one pool child (a task crash)."""
        if whole_group:
            member.killed = True
            signal_group(member.process, signal.SIGKILL)
            with suppress(subprocess.TimeoutExpired):
                member.process.wait(timeout=10)
        elif child_pid is not None:
            with suppress(ProcessLookupError):
                os.kill(child_pid, signal.SIGKILL)

    def supervise(self) -> None:
        """Start a new process in the slot of every one that died; note unexpected exits."""
        with self._lock:
            dead = [m for m in self.members if not m.alive()]
            for member in dead:
                self.members.remove(member)
        for member in dead:
            if not member.killed:
                code = member.process.returncode
                self.unexpected_exits.append(f"{member.name} exited with {code}")
            self._spawn(member.role, member.slot)
            self.restarts += 1

    def stop(self) -> None:
        """SIGTERM every group (a warm shutdown), then SIGKILL whatever is left."""
        with self._lock:
            members = list(self.members)
        for member in members:
            signal_group(member.process, signal.SIGTERM)
        deadline = time.monotonic() + STOP_TIMEOUT_SECONDS
        for member in members:
            with suppress(subprocess.TimeoutExpired):
                member.process.wait(timeout=max(0.1, deadline - time.monotonic()))
        for member in members:
            signal_group(member.process, signal.SIGKILL)
            with suppress(subprocess.TimeoutExpired):
                member.process.wait(timeout=5)
