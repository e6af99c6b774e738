"""The one interface every jail backend implements.

Contract: `run(job)` runs `job.code` under `job.limits` in a jail that is read-only but for a
small /tmp, has no network, an empty environment, a non-root user that is non-root on the host
too, a seccomp filter, and memory/CPU/process limits; it returns a `SandboxResult` for every run
that started (whatever the code did) and raises `JailUnavailable` (or `JailFailure`) when no jail
could be made. A backend never runs code outside a jail. `check()` raises `JailUnavailable` with
the reason when the backend cannot work on this host. The contract test class in
tests/sandbox/test_sandbox_contract.py runs the same attacks against every implementation.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

from .limits import Limits
from .result import SandboxResult


@dataclass(frozen=True)
class Job:
    language: str
    code: str
    input: Any
    limits: Limits


class Backend(Protocol):
    name: str

    def check(self) -> None: ...

    def run(self, job: Job) -> SandboxResult: ...
