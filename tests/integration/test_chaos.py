"""The chaos suite of issue 3 in CI: 100 executions while workers die and servers restart.

Runs `manage.py chaos` as a user would, with its own PostgreSQL and RabbitMQ (so it needs
their binaries, not the shared servers), and checks the report a user would read: every
execution succeeded, none lost or stuck, no side effect applied twice, and every fault was
really injected. Select it alone with `pytest tests/integration/test_chaos.py` (or `-k chaos`).
About two minutes on a busy two-core machine.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.integration.services import REPO
from tests.required import unavailable

pytestmark = pytest.mark.integration

EXECUTIONS = 100
TIMEOUT_SECONDS = 600


def _require_binaries() -> None:
    if not shutil.which("rabbitmq-server") and not Path("/usr/lib/rabbitmq/bin").exists():
        unavailable("the chaos suite needs rabbitmq-server to start a broker of its own")
    if not list(Path("/usr/lib/postgresql").glob("*/bin/pg_ctl")) and not shutil.which("pg_ctl"):
        unavailable("the chaos suite needs PostgreSQL's pg_ctl to start a server of its own")
    if os.geteuid() == 0 and not shutil.which("runuser"):
        unavailable("as root, the chaos suite needs runuser to start PostgreSQL as postgres")


def test_no_execution_lost_stuck_or_duplicated_under_crashes(tmp_path: Path) -> None:
    _require_binaries()
    output = tmp_path / "report.json"
    result = subprocess.run(
        [
            sys.executable, "manage.py", "chaos",
            "--executions", str(EXECUTIONS), "--timeout", "300", "--output", str(output),
        ],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=TIMEOUT_SECONDS,
    )  # fmt: skip
    assert output.exists(), f"no report (exit {result.returncode}):\n{result.stderr[-5000:]}"
    report = json.loads(output.read_text())
    summary = {
        key: report[key] for key in ("started", "succeeded", "failed", "lost", "stuck", "problems")
    }
    assert report["started"] == EXECUTIONS, summary
    assert report["succeeded"] == EXECUTIONS, summary
    assert report["failed"] == report["lost"] == report["stuck"] == 0, summary
    assert report["duplicate_side_effects"] == 0, report["sink"]
    assert report["missing_side_effects"] == 0, report["samples"]["missing_side_effects"]
    faults = report["faults"]
    assert faults["worker_kills"] + faults["worker_child_kills"] > 0, faults
    assert faults["rabbitmq_restarts"] == 1, faults
    assert faults["postgres_restarts"] == 1, faults
    assert report["max_recovery_seconds"] is not None, faults
    assert report["requirements_met"], report["problems"]
    assert result.returncode == 0, result.stderr[-5000:]
