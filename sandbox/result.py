"""What one sandbox run produced, success or failure, as one immutable value."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .errors import SandboxError


@dataclass(frozen=True)
class SandboxResult:
    """The run's JSON output (when it succeeded), its capped logs and its error (when it failed).

    `stdout` and `stderr` are kept on failure too, since that is when users read them. When a
    stream was cut at its cap, the text ends with a "[zzyra: ... truncated ...]" note and the
    matching `*_truncated` flag is set.
    """

    language: str
    backend: str
    output: Any
    stdout: str
    stderr: str
    error: SandboxError | None
    duration_ms: int
    stdout_truncated: bool = False
    stderr_truncated: bool = False

    @property
    def ok(self) -> bool:
        return self.error is None

    def raise_for_error(self) -> SandboxResult:
        """Raise the run's error if it failed; return self otherwise (for chaining)."""
        if self.error is not None:
            raise self.error
        return self
