"""One cgroup per jail run, on cgroup v1 (per-controller hierarchies) or v2 (unified).

Why not nsjail's own `--cgroup_*` flags: nsjail deletes its cgroup when the child exits, so the
counters that say WHY a run died (an OOM kill, the CPU time used) are gone before we can read
them. We create the run's cgroup, set memory (and swap), pids and CPU-quota limits, move the
launcher into it before it execs nsjail (see `enter_command`), and read the counters afterwards.

Memory is a cgroup limit, not RLIMIT_AS: V8 reserves far more address space than it uses.
The kill switch (`kill_all`) also reaches processes that escaped the jail's PID 1, if any.
"""

from __future__ import annotations

import contextlib
import os
import signal
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from .errors import JailUnavailable
from .limits import Limits

CGROUP_MOUNT = Path("/sys/fs/cgroup")
PARENT_NAME = "zzyra-sandbox"
CPU_PERIOD_MICROSECONDS = 100_000
V1_CONTROLLERS = ("memory", "pids", "cpu", "cpuacct")


@dataclass(frozen=True)
class CgroupUsage:
    oom_killed: bool
    cpu_seconds: float | None
    memory_peak_bytes: int | None


class RunCgroup(Protocol):
    """The cgroup(s) of one run."""

    procs_files: list[Path]

    def usage(self) -> CgroupUsage: ...

    def kill_all(self) -> None: ...

    def remove(self) -> None: ...


def enter_command(cgroup: RunCgroup, command: list[str], *, log_fd: int) -> list[str]:
    """Wrap `command` so its process joins the cgroup before exec: no window outside it. A
    failure to join is a fatal line on `log_fd` (nsjail's log), not an exit status, which user
    code could produce too."""
    script = (
        'while [ "$1" != -- ]; do '
        f'echo $$ > "$1" || {{ echo "[F] cannot join the cgroup $1" >&{int(log_fd)}; exit 125; }}; '
        'shift; done; shift; exec "$@"'
    )
    return [
        "/bin/sh",
        "-c",
        script,
        "zzyra-cgroup-enter",
        *map(str, cgroup.procs_files),
        "--",
        *command,
    ]


def create_run_cgroup(run_id: str, limits: Limits, root_override: str | None = None) -> RunCgroup:
    """Create and limit the run's cgroup; JailUnavailable when this host offers none we can use."""
    try:
        if (CGROUP_MOUNT / "cgroup.controllers").exists():
            return _V2RunCgroup.create(run_id, limits, root_override)
        if (CGROUP_MOUNT / "memory").is_dir() and (CGROUP_MOUNT / "pids").is_dir():
            return _V1RunCgroup.create(run_id, limits, root_override)
    except OSError as exc:
        raise JailUnavailable(f"cannot set up a cgroup for the jail: {exc}") from exc
    raise JailUnavailable(
        f"no usable cgroup hierarchy at {CGROUP_MOUNT} (need memory and pids controllers)"
    )


STALE_AFTER_SECONDS = 15 * 60


def sweep_stale(limits: Limits, root_override: str | None = None) -> int:
    """Remove run cgroups left by a worker that died mid-run; returns how many went.

    Only directories older than STALE_AFTER_SECONDS are touched, so a run that another worker
    is just starting is never pulled from under it. Leftover processes are killed first.
    """
    probe = create_run_cgroup(f"probe-{os.getpid()}-{time.monotonic_ns()}", limits, root_override)
    parents = {procs.parent.parent for procs in probe.procs_files}
    probe.remove()
    removed = 0
    cutoff = time.time() - STALE_AFTER_SECONDS
    for parent in parents:
        for directory in parent.glob("run-*"):
            with contextlib.suppress(OSError):
                if directory.stat().st_mtime < cutoff:
                    _kill_procs(directory / "cgroup.procs")
                    _rmdir_retrying(directory)
                    removed += not directory.exists()
    return removed


def _write(path: Path, value: str) -> None:
    path.write_text(value)


def _read_keyed(path: Path) -> dict[str, int]:
    values: dict[str, int] = {}
    with contextlib.suppress(OSError):
        for line in path.read_text().splitlines():
            key, _, number = line.partition(" ")
            with contextlib.suppress(ValueError):
                values[key] = int(number)
    return values


def _read_int(path: Path) -> int | None:
    try:
        return int(path.read_text().strip())
    except (OSError, ValueError):
        return None


def _own_cgroup_path(controller: str) -> str:
    """This process's cgroup path in a v1 controller's hierarchy ("" for v2's own line)."""
    for line in Path("/proc/self/cgroup").read_text().splitlines():
        _, controllers, path = line.split(":", 2)
        if controller in controllers.split(","):
            return path
    return "/"


def _kill_procs(procs_file: Path) -> bool:
    """SIGKILL every process listed; True when the list was already empty."""
    try:
        pids = [int(p) for p in procs_file.read_text().split()]
    except OSError:
        return True
    for pid in pids:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.kill(pid, signal.SIGKILL)
    return not pids


def _rmdir_retrying(directory: Path) -> None:
    # A just-killed process leaves its cgroup a moment after the signal: retry briefly.
    for _ in range(50):
        try:
            directory.rmdir()
            return
        except FileNotFoundError:
            return
        except OSError:
            time.sleep(0.01)


class _V1RunCgroup:
    def __init__(self, directories: dict[str, Path], limits: Limits) -> None:
        self.directories = directories
        self.limits = limits
        self.procs_files = [d / "cgroup.procs" for d in dict.fromkeys(directories.values())]

    @classmethod
    def create(cls, run_id: str, limits: Limits, root_override: str | None) -> _V1RunCgroup:
        directories: dict[str, Path] = {}
        for controller in V1_CONTROLLERS:
            mount = CGROUP_MOUNT / controller
            if not mount.is_dir():
                if controller == "cpuacct":
                    continue  # only used to measure CPU time; the run works without it
                raise JailUnavailable(f"cgroup v1 controller {controller!r} is not mounted")
            # Co-mounted controllers (e.g. "cpu,cpuacct") resolve to one directory.
            mount = mount.resolve()
            if root_override:
                parent = mount / root_override.strip("/")
            else:
                parent = mount / _own_cgroup_path(controller).strip("/") / PARENT_NAME
            directory = parent / run_id
            directory.mkdir(parents=True, exist_ok=True)
            directories[controller] = directory
        cgroup = cls(directories, limits)
        try:
            cgroup._apply_limits()
        except OSError:
            cgroup.remove()
            raise
        return cgroup

    def _apply_limits(self) -> None:
        memory = self.directories["memory"]
        _write(memory / "memory.limit_in_bytes", str(self.limits.memory_bytes))
        if (memory / "memory.memsw.limit_in_bytes").exists():
            # Memory plus swap: without it a jail could swap its way past the limit.
            _write(memory / "memory.memsw.limit_in_bytes", str(self.limits.memory_bytes))
        with contextlib.suppress(OSError):
            _write(memory / "memory.swappiness", "0")
        _write(self.directories["pids"] / "pids.max", str(self.limits.max_processes))
        cpu = self.directories["cpu"]
        _write(cpu / "cpu.cfs_period_us", str(CPU_PERIOD_MICROSECONDS))
        _write(cpu / "cpu.cfs_quota_us", str(int(self.limits.cpus * CPU_PERIOD_MICROSECONDS)))

    def usage(self) -> CgroupUsage:
        memory = self.directories["memory"]
        oom = _read_keyed(memory / "memory.oom_control").get("oom_kill", 0) > 0
        cpu_nanoseconds = None
        if "cpuacct" in self.directories:
            cpu_nanoseconds = _read_int(self.directories["cpuacct"] / "cpuacct.usage")
        return CgroupUsage(
            oom_killed=oom,
            cpu_seconds=None if cpu_nanoseconds is None else cpu_nanoseconds / 1e9,
            memory_peak_bytes=_read_int(memory / "memory.max_usage_in_bytes"),
        )

    def kill_all(self) -> None:
        for _ in range(100):
            if all(_kill_procs(procs) for procs in self.procs_files):
                return
            time.sleep(0.005)

    def remove(self) -> None:
        self.kill_all()
        for directory in dict.fromkeys(self.directories.values()):
            _rmdir_retrying(directory)


class _V2RunCgroup:
    CONTROLLERS = ("memory", "pids", "cpu")

    def __init__(self, directory: Path, limits: Limits) -> None:
        self.directory = directory
        self.limits = limits
        self.procs_files = [directory / "cgroup.procs"]

    @classmethod
    def create(cls, run_id: str, limits: Limits, root_override: str | None) -> _V2RunCgroup:
        if root_override:
            parent = CGROUP_MOUNT / root_override.strip("/")
        else:
            # A cgroup with processes cannot enable controllers for children ("no internal
            # processes"), so the parent is a top-level sibling, never the worker's own cgroup.
            parent = CGROUP_MOUNT / PARENT_NAME
        parent.mkdir(parents=True, exist_ok=True)
        cls._enable_controllers(parent)
        directory = parent / run_id
        directory.mkdir(exist_ok=True)
        cgroup = cls(directory, limits)
        try:
            cgroup._apply_limits()
        except OSError:
            cgroup.remove()
            raise
        return cgroup

    @classmethod
    def _enable_controllers(cls, parent: Path) -> None:
        wanted = " ".join(f"+{c}" for c in cls.CONTROLLERS)
        chain = [parent, *parent.parents]
        for directory in reversed(chain):
            if directory == CGROUP_MOUNT.parent or not directory.is_relative_to(CGROUP_MOUNT):
                continue
            enabled = (directory / "cgroup.subtree_control").read_text().split()
            if not all(c in enabled for c in cls.CONTROLLERS):
                _write(directory / "cgroup.subtree_control", wanted)

    def _apply_limits(self) -> None:
        directory = self.directory
        _write(directory / "memory.max", str(self.limits.memory_bytes))
        if (directory / "memory.swap.max").exists():
            _write(directory / "memory.swap.max", "0")
        with contextlib.suppress(OSError):
            _write(directory / "memory.oom.group", "1")  # an OOM kills the whole jail
        _write(directory / "pids.max", str(self.limits.max_processes))
        quota = int(self.limits.cpus * CPU_PERIOD_MICROSECONDS)
        _write(directory / "cpu.max", f"{quota} {CPU_PERIOD_MICROSECONDS}")

    def usage(self) -> CgroupUsage:
        events = _read_keyed(self.directory / "memory.events")
        usage_microseconds = _read_keyed(self.directory / "cpu.stat").get("usage_usec")
        return CgroupUsage(
            oom_killed=events.get("oom_kill", 0) > 0 or events.get("oom_group_kill", 0) > 0,
            cpu_seconds=None if usage_microseconds is None else usage_microseconds / 1e6,
            memory_peak_bytes=_read_int(self.directory / "memory.peak"),
        )

    def kill_all(self) -> None:
        kill_file = self.directory / "cgroup.kill"
        if kill_file.exists():
            with contextlib.suppress(OSError):
                _write(kill_file, "1")
        for _ in range(100):
            if _kill_procs(self.directory / "cgroup.procs"):
                return
            time.sleep(0.005)

    def remove(self) -> None:
        self.kill_all()
        _rmdir_retrying(self.directory)
