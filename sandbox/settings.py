"""Host-level sandbox settings: which backend, how many jails at once, where things live.

These describe the worker host, not one run (that is `Limits`). Read from the environment once
per call so tests and operators can change them without a restart.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

BACKEND_CHOICES = ("auto", "nsjail", "docker")


@dataclass(frozen=True)
class SandboxSettings:
    backend: str = "auto"
    max_concurrent: int = os.cpu_count() or 1
    slot_wait_seconds: float = 60.0
    lock_dir: Path = Path(tempfile.gettempdir()) / "zzyra-sandbox-slots"
    nsjail_path: str | None = None
    cgroup_root: str | None = None
    docker_image: str | None = None

    def __post_init__(self) -> None:
        if self.backend not in BACKEND_CHOICES:
            raise ValueError(
                f"ZZYRA_SANDBOX_BACKEND must be one of {', '.join(BACKEND_CHOICES)}, "
                f"got {self.backend!r}"
            )
        if self.max_concurrent < 1:
            raise ValueError(
                f"ZZYRA_SANDBOX_MAX_CONCURRENT must be >= 1, got {self.max_concurrent}"
            )

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> SandboxSettings:
        environ = os.environ if environ is None else environ
        defaults = cls()
        return cls(
            backend=environ.get("ZZYRA_SANDBOX_BACKEND", defaults.backend).strip().lower(),
            max_concurrent=int(
                environ.get("ZZYRA_SANDBOX_MAX_CONCURRENT", defaults.max_concurrent)
            ),
            slot_wait_seconds=float(
                environ.get("ZZYRA_SANDBOX_SLOT_WAIT_SECONDS", defaults.slot_wait_seconds)
            ),
            lock_dir=Path(environ.get("ZZYRA_SANDBOX_LOCK_DIR", str(defaults.lock_dir))),
            nsjail_path=environ.get("ZZYRA_SANDBOX_NSJAIL") or None,
            cgroup_root=environ.get("ZZYRA_SANDBOX_CGROUP_ROOT") or None,
            docker_image=environ.get("ZZYRA_SANDBOX_DOCKER_IMAGE") or None,
        )
