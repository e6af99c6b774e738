"""Turns how a jail ended into a `SandboxResult`: one classifier shared by every backend.

Order matters. A result the runner framed wins (the code finished, well or badly). Without one,
the kernel's verdicts come first (out of memory, then our wall-clock kill, then CPU time), and
anything else is a crash of the user's code. Backends report facts in `JailExit`; only this module
decides what they mean, so every backend fails the same way for the same attack.
"""

from __future__ import annotations

import signal
from dataclasses import dataclass

from . import errors
from .errors import SandboxError
from .limits import Limits
from .protocol import CappedStream, ResultStream, RunnerReport, decode_report
from .result import SandboxResult


@dataclass(frozen=True)
class JailExit:
    """Facts about how the jailed process tree ended, as the backend observed them."""

    exit_code: int | None  # None when killed by a signal
    signal_number: int | None
    timed_out: bool  # we killed it at the wall-clock deadline
    oom_killed: bool
    cpu_seconds_used: float | None  # None when the backend cannot measure it
    duration_seconds: float


USER_ERRORS: dict[str, type[errors.UserCodeError]] = {
    "user_exception": errors.UserException,
    "non_json_output": errors.NonJsonOutput,
    "output_too_large": errors.OutputTooLarge,
    "crashed": errors.CodeCrashed,
}

V8_OUT_OF_MEMORY = "JavaScript heap out of memory"


def build_result(
    *,
    language: str,
    backend: str,
    limits: Limits,
    jail_exit: JailExit,
    stdout: ResultStream,
    stderr: CappedStream,
) -> SandboxResult:
    stdout_length, raw_report = stdout.split()
    stdout_text, stdout_truncated = stdout.text("stdout", length=stdout_length)
    stderr_text, stderr_truncated = stderr.text("stderr")
    report = decode_report(raw_report) if raw_report is not None else None
    output = None
    error: SandboxError | None
    if report is not None and report.status == "ok":
        output, error = report.output, None
    elif report is not None:
        error = _report_error(report)
    else:
        error = _exit_error(jail_exit, limits, stderr_text)
    return SandboxResult(
        language=language,
        backend=backend,
        output=output,
        stdout=stdout_text,
        stderr=stderr_text,
        error=error,
        duration_ms=round(jail_exit.duration_seconds * 1000),
        stdout_truncated=stdout_truncated,
        stderr_truncated=stderr_truncated,
    )


def _report_error(report: RunnerReport) -> SandboxError:
    error_class = USER_ERRORS.get(report.kind or "", errors.CodeCrashed)
    if error_class is errors.UserException:
        return errors.UserException(
            report.message or report.exception_type or "the code raised an exception",
            exception_type=report.exception_type,
            traceback=report.traceback,
        )
    return error_class(report.message or "the code failed")


def _exit_error(jail_exit: JailExit, limits: Limits, stderr_text: str) -> SandboxError:
    if jail_exit.oom_killed or V8_OUT_OF_MEMORY in stderr_text:
        return errors.MemoryLimitExceeded(
            f"the code used more than its {limits.memory_mb} MB of memory and was killed"
        )
    if jail_exit.timed_out:
        return errors.WallTimeout(
            f"the code ran longer than the {limits.wall_timeout_seconds:g} s wall-clock timeout "
            "and was killed"
        )
    killed_by = jail_exit.signal_number
    if killed_by in (signal.SIGKILL, signal.SIGXCPU) and _cpu_spent(jail_exit, limits):
        return errors.CpuTimeExceeded(
            f"the code used its {limits.cpu_seconds} s of CPU time and was killed"
        )
    if killed_by is not None:
        return errors.CodeCrashed(
            f"the code was killed by signal {_signal_name(killed_by)} before main() returned"
        )
    return errors.CodeCrashed(
        f"the code exited with status {jail_exit.exit_code} before main() returned"
    )


def _cpu_spent(jail_exit: JailExit, limits: Limits) -> bool:
    # RLIMIT_CPU kills with SIGKILL once the hard limit is reached. Nothing inside the jail can
    # SIGKILL the runner (it is PID 1 of its namespace), so a SIGKILL without an OOM or our
    # timeout is the CPU limit. The kernel's RLIMIT_CPU clock and the cgroup's CPU counter
    # disagree by tens of percent on a loaded VM (steal time), hence the loose bound, which
    # only rules out a kill long before the budget could have been spent.
    used = jail_exit.cpu_seconds_used
    if used is None:
        used = jail_exit.duration_seconds * limits.cpus
    return used >= limits.cpu_seconds * 0.5


def _signal_name(number: int) -> str:
    try:
        return signal.Signals(number).name
    except ValueError:
        return str(number)
