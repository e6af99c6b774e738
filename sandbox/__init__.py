"""Zzyra's sandbox: runs untrusted user code (Python, JavaScript) in a jail, never in-process.

Contract
--------
`run_code(language=..., code=..., input=..., limits=Limits())` runs `main(input)` and returns a
`SandboxResult`: the JSON output, stdout and stderr (each capped, 1 MiB by default, with a
truncation note) and, on failure, `error`, a `SandboxError` with a stable `kind` and a
`retryable` flag. User failures (`UserException` with the user's own traceback,
`NonJsonOutput`, `OutputTooLarge`, `WallTimeout`, `MemoryLimitExceeded`, `CpuTimeExceeded`,
`CodeCrashed`) come back in the result and are not retryable. When no jail can be made,
`run_code` raises `JailUnavailable` (or `SandboxBusy`, `JailFailure`): retryable, and the code
was not run. There is no unjailed fallback.

Backends (sandbox/backend.py) are nsjail (namespaces + cgroups, no daemon) and Docker (a local
image built FROM scratch by `python -m sandbox build-image`); ZZYRA_SANDBOX_BACKEND picks one.

Threat model
------------
What the jail stops: reading the host's files (the root is read-only and holds only the
interpreters and system libraries; /etc, /root, /home, the project and its secrets are absent),
writing anywhere but a small /tmp tmpfs, any network traffic (own network namespace with no
interface; the host's 127.0.0.1 services are unreachable), seeing the worker's environment
(the jail's is empty) or its processes (own PID namespace), gaining privileges (a non-root uid
that is 65534 on the host, no capabilities, no_new_privs, setuid bits useless), exhausting the
host (cgroup memory without swap, CPU quota, a process cap, CPU-time and wall-clock limits,
output caps, a per-host cap on concurrent jails), and reaching risky kernel interfaces (seccomp
denies ptrace, mount, bpf, io_uring, kexec, keyrings, perf, modules and namespace creation).

What it does not stop: kernel bugs reachable through the syscalls still allowed (a jail is not
a VM; run workers on hosts that hold no other tenants' secrets if that matters), CPU side
channels, timing of the host's load, the user forging their OWN result (the runner shares a
process with their code), or code that is harmful only through its output (the engine must
treat outputs as untrusted data). Any hygiene inside the interpreter is not isolation.
"""

from .api import run_code
from .errors import (
    CodeCrashed,
    CpuTimeExceeded,
    JailFailure,
    JailUnavailable,
    MemoryLimitExceeded,
    NonJsonOutput,
    OutputTooLarge,
    SandboxBusy,
    SandboxError,
    UserCodeError,
    UserException,
    WallTimeout,
)
from .limits import Limits
from .result import SandboxResult
from .settings import SandboxSettings

__all__ = [
    "CodeCrashed",
    "CpuTimeExceeded",
    "JailFailure",
    "JailUnavailable",
    "Limits",
    "MemoryLimitExceeded",
    "NonJsonOutput",
    "OutputTooLarge",
    "SandboxBusy",
    "SandboxError",
    "SandboxResult",
    "SandboxSettings",
    "UserCodeError",
    "UserException",
    "WallTimeout",
    "run_code",
]
