"""Private PostgreSQL and RabbitMQ servers, owned by one chaos run so it may crash them.

The system instances on 5432/5672 belong to everyone else on the machine; the chaos run starts
its own servers on free ports with their data under the run's temporary directory, crashes and
restarts them, and removes them at the end. Nothing here imports Django: the servers must run
before the settings (which read DATABASE_URL and CELERY_BROKER_URL) are loaded.

A "restart" is a crash followed by a start: PostgreSQL stops in `immediate` mode (no
checkpoint, crash recovery on the next start) and RabbitMQ's Erlang VM is SIGKILLed, so both
lose whatever a real crash would lose, and nothing more.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import signal
import socket
import subprocess
import time
from contextlib import suppress
from pathlib import Path

POSTGRES_USER = "postgres"  # the OS user PostgreSQL runs as when we are root (it refuses root)
DATABASE_NAME = "zzyra"
START_TIMEOUT_SECONDS = 180.0


class StackError(RuntimeError):
    pass


def free_port() -> int:
    """A TCP port nobody listens on right now (the kernel picks it)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def signal_group(process: subprocess.Popen[bytes], signum: int) -> None:
    """Signal the process's whole group: it was started in a session of its own."""
    with suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, signum)


def _postgres_bin() -> Path:
    configured = os.environ.get("CHAOS_POSTGRES_BIN")
    if configured:
        return Path(configured)
    candidates = sorted(
        glob.glob("/usr/lib/postgresql/*/bin"), key=lambda path: int(path.split("/")[-2])
    )
    if candidates:
        return Path(candidates[-1])
    found = shutil.which("pg_ctl")
    if found:
        return Path(found).parent
    raise StackError("no PostgreSQL binaries found (install postgresql or set CHAOS_POSTGRES_BIN)")


class PostgresServer:
    """A throw-away cluster: initdb, then pg_ctl start / immediate stop on a free port."""

    def __init__(self, base_directory: Path) -> None:
        self.bin = _postgres_bin()
        self.data_directory = base_directory / "postgres"
        self.log_path = base_directory / "postgres" / "server.log"
        self.port = free_port()
        self._as_root = os.geteuid() == 0

    @property
    def url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{DATABASE_NAME}"

    def _command(self, *arguments: str) -> list[str]:
        if self._as_root:
            return ["runuser", "-u", POSTGRES_USER, "--", *arguments]
        return list(arguments)

    def _run(self, *arguments: str, timeout: float = START_TIMEOUT_SECONDS) -> None:
        result = subprocess.run(
            self._command(*arguments),
            capture_output=True,
            timeout=timeout,
            start_new_session=True,  # Ctrl-C reaches us, not the server; we stop it in order
        )
        if result.returncode != 0:
            output = (result.stdout + result.stderr).decode(errors="replace")
            raise StackError(f"{' '.join(arguments[:2])} failed: {output[-2000:]}")

    def initialize(self) -> None:
        self.data_directory.mkdir(parents=True)
        if self._as_root:
            account = pwd.getpwnam(POSTGRES_USER)
            os.chown(self.data_directory, account.pw_uid, account.pw_gid)
            # The postgres user must be able to reach its data directory.
            self.data_directory.parent.chmod(0o755)
        self.data_directory.chmod(0o700)
        self._run(
            str(self.bin / "initdb"), "-D", str(self.data_directory), "-U", "postgres",
            "--auth=trust", "-E", "UTF8", "--no-sync",
        )  # fmt: skip

    def start(self) -> None:
        # fsync=off: the faults are process crashes, and the kernel keeps written pages across
        # those; only power loss would need fsync, and it halves throughput on a busy machine.
        # synchronous_commit stays on: an acknowledged commit must survive `immediate` stop.
        options = (
            f"-p {self.port} -c listen_addresses=127.0.0.1 -c unix_socket_directories='' "
            "-c fsync=off -c full_page_writes=off -c max_connections=200"
        )
        self._run(
            str(self.bin / "pg_ctl"), "-D", str(self.data_directory), "-l", str(self.log_path),
            "-w", "-t", str(int(START_TIMEOUT_SECONDS)), "-o", options, "start",
        )  # fmt: skip

    def create_database(self) -> None:
        import psycopg

        admin = f"postgresql://postgres@127.0.0.1:{self.port}/postgres"
        with psycopg.connect(admin, autocommit=True) as connection:
            connection.execute(f"CREATE DATABASE {DATABASE_NAME}")

    def crash(self) -> None:
        """Stop without a checkpoint: the next start runs crash recovery."""
        self._run(str(self.bin / "pg_ctl"), "-D", str(self.data_directory), "-m", "immediate",
                  "-w", "stop", timeout=60)  # fmt: skip

    def stop(self) -> None:
        """Best effort, for teardown: fast stop, then immediate, then kill the postmaster."""
        if not (self.data_directory / "postmaster.pid").exists():
            return
        for mode in ("fast", "immediate"):
            with suppress(StackError, subprocess.TimeoutExpired):
                self._run(str(self.bin / "pg_ctl"), "-D", str(self.data_directory), "-m", mode,
                          "-w", "-t", "20", "stop", timeout=30)  # fmt: skip
                return
        with suppress(OSError, ValueError, IndexError):
            pid = int((self.data_directory / "postmaster.pid").read_text().split()[0])
            os.kill(pid, signal.SIGKILL)


def _rabbitmq_bin(name: str) -> str:
    # Debian's /usr/sbin wrappers `su` to the rabbitmq user and reset HOME; the real scripts
    # run as root with our environment, so our own cookie and directories are used.
    direct = Path("/usr/lib/rabbitmq/bin") / name
    if direct.exists():
        return str(direct)
    found = shutil.which(name)
    if found is None:
        raise StackError(f"{name} not found (install rabbitmq-server)")
    return found


class RabbitMQServer:
    """One RabbitMQ node with its own name, ports, database, logs and Erlang cookie."""

    def __init__(self, base_directory: Path) -> None:
        self.directory = base_directory / "rabbitmq"
        self.node = f"chaos{os.getpid()}@localhost"
        self.port = free_port()
        self.dist_port = free_port()
        self.log_path = self.directory / "server.log"
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"amqp://guest:guest@127.0.0.1:{self.port}//"

    def environment(self) -> dict[str, str]:
        directory = self.directory
        return {
            **os.environ,
            # rabbitmqctl and the server read the cookie from $HOME/.erlang.cookie: same HOME.
            "HOME": str(directory / "home"),
            "RABBITMQ_NODENAME": self.node,
            "RABBITMQ_NODE_IP_ADDRESS": "127.0.0.1",
            "RABBITMQ_NODE_PORT": str(self.port),
            "RABBITMQ_DIST_PORT": str(self.dist_port),
            "RABBITMQ_MNESIA_BASE": str(directory / "mnesia"),
            "RABBITMQ_LOG_BASE": str(directory / "log"),
            "RABBITMQ_PID_FILE": str(directory / "rabbitmq.pid"),
            "RABBITMQ_ENABLED_PLUGINS_FILE": str(directory / "enabled_plugins"),
            # Files that do not exist: the system's /etc/rabbitmq settings (its node name,
            # its 5672 listener) must not leak into this node.
            "RABBITMQ_CONF_ENV_FILE": str(directory / "rabbitmq-env.conf"),
            "RABBITMQ_CONFIG_FILE": str(directory / "rabbitmq"),
            "RABBITMQ_ADVANCED_CONFIG_FILE": str(directory / "advanced.config"),
            "RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS": "-kernel inet_dist_use_interface {127,0,0,1}",
        }

    def initialize(self) -> None:
        for name in ("home", "mnesia", "log"):
            (self.directory / name).mkdir(parents=True, exist_ok=True)
        (self.directory / "enabled_plugins").write_text("[].\n")

    def start(self) -> None:
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(
                [_rabbitmq_bin("rabbitmq-server")],
                env=self.environment(),
                cwd=self.directory,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        self._wait_ready()

    def _wait_ready(self) -> None:
        from kombu import Connection

        deadline = time.monotonic() + START_TIMEOUT_SECONDS
        while time.monotonic() < deadline:
            if self.process is not None and self.process.poll() is not None:
                tail = self.log_path.read_text(errors="replace")[-3000:]
                raise StackError(f"rabbitmq-server exited with {self.process.returncode}:\n{tail}")
            try:
                with Connection(self.url, connect_timeout=2) as connection:
                    connection.ensure_connection(max_retries=1)
                return
            except Exception:
                time.sleep(0.5)
        raise StackError(f"RabbitMQ did not accept connections within {START_TIMEOUT_SECONDS} s")

    def crash(self) -> None:
        """SIGKILL the whole node: durable queues and confirmed messages must survive it."""
        if self.process is None:
            return
        signal_group(self.process, signal.SIGKILL)
        with suppress(subprocess.TimeoutExpired):
            self.process.wait(timeout=30)
        self.process = None

    def stop(self) -> None:
        """For teardown: SIGTERM (a clean stop of the Erlang VM), then SIGKILL if it lingers."""
        if self.process is None:
            return
        signal_group(self.process, signal.SIGTERM)
        with suppress(subprocess.TimeoutExpired):
            self.process.wait(timeout=30)
        signal_group(self.process, signal.SIGKILL)
        with suppress(subprocess.TimeoutExpired):
            self.process.wait(timeout=10)
        self.process = None
