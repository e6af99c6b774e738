"""Why a sandbox run failed, as one small hierarchy.

Every failure is a `SandboxError` with a stable `kind` (stored in the ledger, shown to users) and a
`retryable` flag the engine's retry policy reads. Errors caused by the user's code (an exception,
a non-JSON return value, a limit the code ran into) are not retryable: running the same code on the
same input again would fail the same way. Errors of the jail itself (no backend available, no free
slot on this host, the jail machinery failing) are retryable: another attempt, maybe on another
worker, can succeed.
"""

from __future__ import annotations


class SandboxError(Exception):
    """Base of every sandbox failure."""

    kind: str = "sandbox_error"
    retryable: bool = True

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def to_dict(self) -> dict[str, object]:
        """A JSON-able description for the ledger and the API."""
        return {"kind": self.kind, "message": self.message, "retryable": self.retryable}


class UserCodeError(SandboxError):
    """The user's code failed or broke a limit; retrying the same code cannot help."""

    kind = "user_code_error"
    retryable = False


class UserException(UserCodeError):
    """The user's code raised (or threw); `traceback` is the user's own, without jail frames."""

    kind = "user_exception"

    def __init__(self, message: str, *, exception_type: str, traceback: str) -> None:
        super().__init__(message)
        self.exception_type = exception_type
        self.traceback = traceback

    def to_dict(self) -> dict[str, object]:
        return {
            **super().to_dict(),
            "exception_type": self.exception_type,
            "traceback": self.traceback,
        }


class NonJsonOutput(UserCodeError):
    """`main` returned a value that cannot be encoded as JSON."""

    kind = "non_json_output"


class OutputTooLarge(UserCodeError):
    """`main` returned a value whose JSON encoding exceeds `Limits.max_output_bytes`."""

    kind = "output_too_large"


class WallTimeout(UserCodeError):
    """The run was still going when the wall-clock timeout struck."""

    kind = "timeout"


class MemoryLimitExceeded(UserCodeError):
    """The kernel killed the run for using more memory than the jail's cgroup allows."""

    kind = "memory_limit"


class CpuTimeExceeded(UserCodeError):
    """The run used up its CPU-time budget."""

    kind = "cpu_limit"


class CodeCrashed(UserCodeError):
    """The code ended without a result: killed by a signal, `os._exit`, `process.exit`, ..."""

    kind = "crashed"


class JailUnavailable(SandboxError):
    """No backend can run a jail here. The code was NOT run, jailed or otherwise."""

    kind = "jail_unavailable"


class SandboxBusy(SandboxError):
    """Every jail slot on this host stayed taken for the whole wait."""

    kind = "busy"


class JailFailure(SandboxError):
    """The jail machinery itself failed mid-run (not the user's code)."""

    kind = "jail_failure"
