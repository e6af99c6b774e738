"""A per-host cap on concurrent jails, shared by every worker process on the host.

N lock files, one per slot; a run holds an exclusive `flock` on one of them. The kernel drops
the lock when the holder dies, so a crashed worker never leaks a slot, and no coordinator is
needed. Jails on one host thus never oversubscribe its CPUs and memory however many Celery
processes run there.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import random
import time
from collections.abc import Iterator

from .errors import SandboxBusy
from .settings import SandboxSettings


@contextlib.contextmanager
def jail_slot(settings: SandboxSettings) -> Iterator[int]:
    """Hold one of `settings.max_concurrent` host-wide slots; SandboxBusy after the wait."""
    settings.lock_dir.mkdir(parents=True, exist_ok=True)
    deadline = time.monotonic() + settings.slot_wait_seconds
    while True:
        for slot in random.sample(range(settings.max_concurrent), settings.max_concurrent):
            descriptor = os.open(
                settings.lock_dir / f"slot-{slot}.lock",
                os.O_RDWR | os.O_CREAT | os.O_CLOEXEC,
                0o600,
            )
            try:
                fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                os.close(descriptor)
                continue
            try:
                yield slot
            finally:
                os.close(descriptor)  # closing the only descriptor releases the lock
            return
        if time.monotonic() >= deadline:
            raise SandboxBusy(
                f"all {settings.max_concurrent} jail slots on this host stayed busy for "
                f"{settings.slot_wait_seconds:g} s (ZZYRA_SANDBOX_MAX_CONCURRENT)"
            )
        time.sleep(0.01 + random.random() * 0.04)
