"""The resource limits of one jail, as one frozen value.

A `Limits` is validated when built, so a backend never has to wonder whether a number makes
sense. Defaults match the design (128 MB, 1 vCPU, 30 s CPU, 64 processes, 1 MiB output caps);
`Limits.from_env()` lets an operator change them per worker with `ZZYRA_SANDBOX_*` variables.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, fields

MEBIBYTE = 1024 * 1024

# Field name -> environment variable. Kept explicit so the names are greppable and documented.
ENVIRONMENT_VARIABLES: dict[str, str] = {
    "memory_mb": "ZZYRA_SANDBOX_MEMORY_MB",
    "cpus": "ZZYRA_SANDBOX_CPUS",
    "cpu_seconds": "ZZYRA_SANDBOX_CPU_SECONDS",
    "wall_timeout_seconds": "ZZYRA_SANDBOX_WALL_TIMEOUT_SECONDS",
    "max_processes": "ZZYRA_SANDBOX_MAX_PROCESSES",
    "tmp_size_mb": "ZZYRA_SANDBOX_TMP_SIZE_MB",
    "max_output_bytes": "ZZYRA_SANDBOX_MAX_OUTPUT_BYTES",
    "max_stdout_bytes": "ZZYRA_SANDBOX_MAX_STDOUT_BYTES",
    "max_stderr_bytes": "ZZYRA_SANDBOX_MAX_STDERR_BYTES",
}


@dataclass(frozen=True)
class Limits:
    """What one run may use. Memory is a cgroup limit (not RLIMIT_AS, which breaks V8)."""

    memory_mb: int = 128
    cpus: float = 1.0
    cpu_seconds: int = 30
    wall_timeout_seconds: float = 60.0
    max_processes: int = 64
    tmp_size_mb: int = 16
    max_output_bytes: int = MEBIBYTE
    max_stdout_bytes: int = MEBIBYTE
    max_stderr_bytes: int = MEBIBYTE

    def __post_init__(self) -> None:
        if self.memory_mb < 32:
            raise ValueError(f"memory_mb must be at least 32, got {self.memory_mb}")
        if not 0 < self.cpus <= 64:
            raise ValueError(f"cpus must be in (0, 64], got {self.cpus}")
        if self.cpu_seconds < 1:
            raise ValueError(f"cpu_seconds must be at least 1, got {self.cpu_seconds}")
        if self.wall_timeout_seconds <= 0:
            raise ValueError(
                f"wall_timeout_seconds must be positive, got {self.wall_timeout_seconds}"
            )
        if self.max_processes < 4:
            # The interpreters themselves need a few threads (node starts ~10).
            raise ValueError(f"max_processes must be at least 4, got {self.max_processes}")
        if self.tmp_size_mb < 1:
            raise ValueError(f"tmp_size_mb must be at least 1, got {self.tmp_size_mb}")
        for name in ("max_output_bytes", "max_stdout_bytes", "max_stderr_bytes"):
            if getattr(self, name) < 1024:
                raise ValueError(f"{name} must be at least 1024, got {getattr(self, name)}")

    @property
    def memory_bytes(self) -> int:
        return self.memory_mb * MEBIBYTE

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Limits:
        """Defaults overridden by any `ZZYRA_SANDBOX_*` variable that is set."""
        environ = os.environ if environ is None else environ
        values: dict[str, int | float] = {}
        for field in fields(cls):
            raw = environ.get(ENVIRONMENT_VARIABLES[field.name])
            if raw is None or raw.strip() == "":
                continue
            convert = float if field.type in ("float", float) else int
            try:
                values[field.name] = convert(raw)
            except ValueError:
                raise ValueError(
                    f"{ENVIRONMENT_VARIABLES[field.name]}={raw!r} is not a valid {convert.__name__}"
                ) from None
        return cls(**values)  # type: ignore[arg-type]
