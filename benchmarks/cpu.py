"""CPU time used by each part of the system under test while a load phase runs.

Read from /proc: every process whose command line names PostgreSQL, RabbitMQ, gunicorn, a
Celery worker or this benchmark is summed into its part, with the CPU time of its children
that have exited (a PostgreSQL backend closed during the phase is counted in the postmaster,
a recycled pool process in its worker). Linux only; elsewhere empty.
"""

from __future__ import annotations

import os
from pathlib import Path

PARTS = (
    ("postgres", "postgres"),
    ("rabbitmq", "beam.smp"),
    ("gunicorn", "gunicorn"),
    ("celery", "celery"),
    ("bench", "manage.py bench"),
)


def _part(command: str) -> str | None:
    return next((part for part, marker in PARTS if marker in command), None)


def cpu_ticks() -> dict[int, tuple[str, int]]:
    """(part, user + system clock ticks, its exited children's included) of every process
    that belongs to a part, by pid."""
    found: dict[int, tuple[str, int]] = {}
    for entry in Path("/proc").glob("[0-9]*"):
        try:
            command = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:  # gone meanwhile, or not ours to read
            continue
        part = _part(command)
        if part is not None:
            # utime, stime, cutime, cstime (proc(5) fields 14-17)
            found[int(entry.name)] = (part, sum(int(field) for field in fields[11:15]))
    return found


def cpu_percent(
    before: dict[int, tuple[str, int]], after: dict[int, tuple[str, int]], seconds: float
) -> dict[str, float]:
    """Percent of one core each part used between two readings `seconds` apart."""
    ticks_per_second = os.sysconf("SC_CLK_TCK")
    used: dict[str, int] = {part: 0 for part, _ in PARTS}
    # Totals, not per-process differences: a process that exits moves its time into its
    # parent's children's time, and one that starts brings all of its own.
    for part, ticks in after.values():
        used[part] += ticks
    for part, ticks in before.values():
        used[part] -= ticks
    return {
        part: round(100 * ticks / ticks_per_second / max(seconds, 1e-9), 1)
        for part, ticks in used.items()
    }
