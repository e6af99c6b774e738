"""Fixtures for the sandbox tests: one jail backend per parameter, and a Docker engine.

No Django here: the sandbox package must work without it (`pytest tests/sandbox -p no:django`).
A backend that cannot run on this machine is skipped with its reason locally and FAILS under
CI=true, so CI never goes green by skipping the jail it was meant to test.
"""

from __future__ import annotations

import contextlib
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

# The project is not installed into the venv: make the repository root importable.
REPOSITORY_ROOT = Path(__file__).resolve().parents[2]
if str(REPOSITORY_ROOT) not in sys.path:
    sys.path.insert(0, str(REPOSITORY_ROOT))

from sandbox import Limits, SandboxSettings  # noqa: E402
from sandbox.backend import Backend  # noqa: E402
from sandbox.errors import JailUnavailable  # noqa: E402
from sandbox.selection import make_backend  # noqa: E402
from tests.required import unavailable  # noqa: E402

DOCKERD_START_SECONDS = 60


@pytest.fixture(scope="session")
def sandbox_settings(tmp_path_factory: pytest.TempPathFactory) -> SandboxSettings:
    return SandboxSettings(lock_dir=tmp_path_factory.mktemp("slots"), max_concurrent=4)


@pytest.fixture(scope="session")
def test_limits() -> Limits:
    """The production defaults, but with short clocks so the attack suite stays quick."""
    return Limits(cpu_seconds=3, wall_timeout_seconds=10, tmp_size_mb=8)


def _docker_answers() -> str | None:
    """None when an engine answers, else why not."""
    try:
        import docker

        client = docker.from_env(timeout=5)
        try:
            client.ping()
        finally:
            client.close()
    except Exception as exc:  # the SDK raises several unrelated types for "no engine"
        return f"{type(exc).__name__}: {exc}"
    return None


@pytest.fixture(scope="session")
def docker_engine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """A reachable Docker engine: the one running, or a dockerd this session starts and stops."""
    reason = _docker_answers()
    if reason is None:
        yield
        return
    dockerd = shutil.which("dockerd")
    if dockerd is None:
        unavailable(
            f"no Docker engine answers ({reason}) and dockerd is not installed "
            "(run `bash sandbox/setup.sh`)"
        )
    log_path = tmp_path_factory.mktemp("dockerd") / "dockerd.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [dockerd], stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
    deadline = time.monotonic() + DOCKERD_START_SECONDS
    while (reason := _docker_answers()) is not None:
        if process.poll() is not None or time.monotonic() > deadline:
            tail = log_path.read_text(errors="replace")[-2000:]
            process.kill()
            unavailable(f"could not start dockerd ({reason}); its log ends with:\n{tail}")
        time.sleep(0.5)
    yield
    process.terminate()
    with contextlib.suppress(subprocess.TimeoutExpired):
        process.wait(timeout=20)
    if process.poll() is None:
        process.kill()


def _nsjail_backend(settings: SandboxSettings) -> Backend:
    backend = make_backend("nsjail", settings)
    try:
        backend.check()
    except JailUnavailable as exc:
        unavailable(f"the nsjail backend cannot run here: {exc.message}")
    return backend


def _docker_backend(settings: SandboxSettings, request: pytest.FixtureRequest) -> Backend:
    request.getfixturevalue("docker_engine")
    backend = make_backend("docker", settings)
    try:
        backend.check()
        from sandbox.docker_image import ensure_image

        ensure_image()
    except JailUnavailable as exc:
        unavailable(f"the docker backend cannot run here: {exc.message}")
    return backend


@pytest.fixture(scope="session", params=["nsjail", "docker"])
def backend(request: pytest.FixtureRequest, sandbox_settings: SandboxSettings) -> Backend:
    if request.param == "nsjail":
        return _nsjail_backend(sandbox_settings)
    return _docker_backend(sandbox_settings, request)
