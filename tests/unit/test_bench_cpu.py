"""The benchmark's CPU accounting: totals per part survive processes coming and going."""

from __future__ import annotations

import os

from benchmarks.cpu import cpu_percent


def test_time_of_an_exited_child_is_kept_through_its_parent() -> None:
    hz = os.sysconf("SC_CLK_TCK")
    before = {1: ("postgres", 10 * hz), 2: ("postgres", 3 * hz), 3: ("gunicorn", 0)}
    # Backend 2 exited (its 5 s now count in the postmaster's children's time); backend 4 is new.
    after = {1: ("postgres", 10 * hz + 5 * hz), 3: ("gunicorn", 2 * hz), 4: ("postgres", hz)}

    used = cpu_percent(before, after, seconds=10)

    assert used["postgres"] == 30.0  # (5 - 3) + 1 s of CPU over 10 s
    assert used["gunicorn"] == 20.0
    assert used["celery"] == 0.0
