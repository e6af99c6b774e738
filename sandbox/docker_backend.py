"""The Docker backend: one throwaway container per run, from the locally built image.

Each run creates a container from `docker_image.py`'s FROM-scratch image with: a read-only root
filesystem, `--network none`, a size-capped tmpfs at /tmp, memory == memory+swap (no swap), a
CPU quota, a pids limit, RLIMIT_CPU, every capability dropped, no-new-privileges, the shared
seccomp deny list (seccomp.py), user 65534:65534, no logging driver (user output never lands on
the engine's disk) and no environment but what Docker itself adds (PATH, HOSTNAME, HOME).

The request goes in over an attached stdin; stdout/stderr come back over the same hijacked
connection in Docker's multiplexed frames, under the same caps and protocol as every backend.
`check()` only pings the engine; the image is built on first use when missing.
"""

from __future__ import annotations

import contextlib
import selectors
import socket
import struct
import time
import uuid
from datetime import UTC, datetime
from typing import Any

from .backend import Job
from .errors import JailFailure, JailUnavailable
from .interpreters import interpreter_for
from .limits import MEBIBYTE, Limits
from .outcome import JailExit, build_result
from .process_pump import DRAIN_GRACE_SECONDS, READ_CHUNK
from .protocol import CappedStream, ResultStream, encode_request, new_marker
from .result import SandboxResult
from .seccomp import docker_profile

JAIL_USER = "65534:65534"
PING_TIMEOUT_SECONDS = 3
STREAM_STDOUT, STREAM_STDERR = 1, 2
STALE_AFTER_SECONDS = 15 * 60


class DockerBackend:
    name = "docker"

    def __init__(self, *, image: str | None = None) -> None:
        self._image = image
        self._client: Any = None

    def _docker(self) -> Any:
        if self._client is None:
            try:
                import docker
            except ImportError as exc:
                raise JailUnavailable("the docker package is not installed") from exc
            try:
                self._client = docker.from_env(timeout=60)
            except docker.errors.DockerException as exc:
                raise JailUnavailable(f"no Docker engine configured: {exc}") from exc
        return self._client

    def check(self) -> None:
        try:
            import docker
        except ImportError as exc:
            raise JailUnavailable("the docker package is not installed") from exc
        try:
            client = docker.from_env(timeout=PING_TIMEOUT_SECONDS)
            try:
                client.ping()
                _sweep_stale_containers(client)
            finally:
                client.close()
        except Exception as exc:  # the SDK raises requests', urllib3's and its own errors
            raise JailUnavailable(f"no Docker engine answers: {exc}") from exc

    def image(self) -> str:
        if self._image:
            return self._image
        from .docker_image import ensure_image

        return ensure_image(self._docker())

    def run(self, job: Job) -> SandboxResult:
        import docker.errors

        client = self._docker()
        interpreter = interpreter_for(job.language)
        limits = job.limits
        marker = new_marker()
        request = encode_request(code=job.code, input=job.input, marker=marker, limits=limits)
        try:
            container = client.containers.create(
                self.image(),
                command=interpreter.command(limits),
                name=f"zzyra-sandbox-{uuid.uuid4().hex[:12]}",
                labels={"org.zzyra.sandbox": "run"},
                **container_options(limits),
            )
        except docker.errors.ImageNotFound as exc:
            raise JailUnavailable(f"sandbox image missing: {exc}") from exc
        except (docker.errors.APIError, OSError) as exc:
            raise JailUnavailable(f"cannot create a sandbox container: {exc}") from exc
        try:
            return self._run_container(container, job, marker, request)
        finally:
            with contextlib.suppress(docker.errors.APIError):  # already gone
                container.remove(force=True)

    def _run_container(
        self, container: Any, job: Job, marker: str, request: bytes
    ) -> SandboxResult:
        import docker.errors

        limits = job.limits
        stdout = ResultStream(
            limits.max_stdout_bytes, marker=marker, max_output_bytes=limits.max_output_bytes
        )
        stderr = CappedStream(limits.max_stderr_bytes)
        try:
            attached = container.attach_socket(
                params={"stdin": 1, "stdout": 1, "stderr": 1, "stream": 1}
            )
            connection: socket.socket = attached._sock
            started = time.monotonic()
            container.start()
        except (docker.errors.APIError, OSError) as exc:
            raise JailFailure(f"cannot start the sandbox container: {exc}") from exc
        try:
            timed_out = _pump(
                connection,
                request,
                {STREAM_STDOUT: stdout, STREAM_STDERR: stderr},
                deadline=started + limits.wall_timeout_seconds,
                on_deadline=lambda: _kill(container),
            )
        finally:
            connection.close()
        try:
            status = container.wait(timeout=DRAIN_GRACE_SECONDS + 5)
            container.reload()
        except Exception as exc:
            _kill(container)
            raise JailFailure(f"lost track of the sandbox container: {exc}") from exc
        duration = time.monotonic() - started
        state = container.attrs.get("State", {})
        returncode = int(status.get("StatusCode", -1))
        jail_exit = JailExit(
            # Docker reports a process killed by signal N as exit status 128 + N.
            exit_code=returncode if returncode < 128 else None,
            signal_number=returncode - 128 if 128 < returncode < 160 else None,
            timed_out=timed_out,
            oom_killed=bool(state.get("OOMKilled")),
            cpu_seconds_used=None,
            duration_seconds=duration,
        )
        return build_result(
            language=job.language,
            backend=self.name,
            limits=limits,
            jail_exit=jail_exit,
            stdout=stdout,
            stderr=stderr,
        )


def container_options(limits: Limits) -> dict[str, Any]:
    from docker.types import LogConfig, Ulimit

    tmp_bytes = limits.tmp_size_mb * MEBIBYTE
    return {
        "user": JAIL_USER,
        "stdin_open": True,
        "tty": False,
        "network_mode": "none",
        "read_only": True,
        "tmpfs": {"/tmp": f"rw,nosuid,nodev,size={tmp_bytes},mode=1777"},
        "mem_limit": limits.memory_bytes,
        "memswap_limit": limits.memory_bytes,  # equal to mem_limit: no swap at all
        "nano_cpus": int(limits.cpus * 1e9),
        "pids_limit": limits.max_processes,
        "ulimits": [
            Ulimit(name="cpu", soft=limits.cpu_seconds, hard=limits.cpu_seconds),
            Ulimit(name="core", soft=0, hard=0),
            Ulimit(name="nofile", soft=256, hard=256),
        ],
        "cap_drop": ["ALL"],
        "security_opt": ["no-new-privileges", f"seccomp={docker_profile()}"],
        "ipc_mode": "private",
        "hostname": "zzyra-sandbox",
        "working_dir": "/tmp",
        "environment": {},
        "log_config": LogConfig(type="none"),
    }


def _sweep_stale_containers(client: Any) -> None:
    """Remove run containers a dead worker left behind (Docker has no wall clock of its own)."""
    cutoff = time.time() - STALE_AFTER_SECONDS
    for container in client.containers.list(all=True, filters={"label": "org.zzyra.sandbox=run"}):
        created = container.attrs.get("Created", "")
        try:
            created_at = datetime.fromisoformat(created[:26].rstrip("Z")).replace(tzinfo=UTC)
        except ValueError:
            continue
        if created_at.timestamp() < cutoff:
            with contextlib.suppress(Exception):
                container.remove(force=True)


def _kill(container: Any) -> None:
    with contextlib.suppress(Exception):  # it ended on its own meanwhile
        container.kill()


def _pump(
    connection: socket.socket,
    request: bytes,
    sinks: dict[int, CappedStream],
    *,
    deadline: float,
    on_deadline: Any,
) -> bool:
    """Send stdin then half-close; demultiplex Docker's frames until EOF or the deadline."""
    connection.setblocking(False)
    selector = selectors.DefaultSelector()
    selector.register(connection, selectors.EVENT_READ | selectors.EVENT_WRITE)
    pending = memoryview(request)
    buffer = bytearray()
    timed_out = False
    hard_stop: float | None = None
    writing = True
    try:
        while True:
            now = time.monotonic()
            if not timed_out and now >= deadline:
                timed_out = True
                on_deadline()
                hard_stop = now + DRAIN_GRACE_SECONDS
            if hard_stop is not None and now >= hard_stop:
                break
            wait = (hard_stop if hard_stop is not None else deadline) - now
            for _, events in selector.select(timeout=max(0.0, wait)):
                if writing and events & selectors.EVENT_WRITE:
                    try:
                        pending = pending[connection.send(pending[:READ_CHUNK]) :]
                    except BlockingIOError:
                        pass
                    except OSError:
                        pending = pending[:0]
                    if not pending:
                        writing = False
                        with contextlib.suppress(OSError):  # EOF on the jail's stdin
                            connection.shutdown(socket.SHUT_WR)
                        selector.modify(connection, selectors.EVENT_READ)
                if events & selectors.EVENT_READ:
                    try:
                        chunk = connection.recv(READ_CHUNK)
                    except BlockingIOError:
                        continue
                    except OSError:
                        chunk = b""
                    if not chunk:
                        return timed_out
                    buffer += chunk
                    _demultiplex(buffer, sinks)
    finally:
        selector.close()
    return timed_out


def _demultiplex(buffer: bytearray, sinks: dict[int, CappedStream]) -> None:
    """Feed complete frames (8-byte header: stream, 0, 0, 0, big-endian length) to the sinks."""
    offset = 0
    while len(buffer) - offset >= 8:
        stream, length = buffer[offset], struct.unpack(">I", buffer[offset + 4 : offset + 8])[0]
        if len(buffer) - offset - 8 < length:
            break
        sink = sinks.get(stream)
        if sink is not None:
            sink.feed(bytes(buffer[offset + 8 : offset + 8 + length]))
        offset += 8 + length
    del buffer[:offset]
