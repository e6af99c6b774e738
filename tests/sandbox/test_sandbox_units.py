"""The sandbox's pure parts: limits, settings, caps, the outcome classifier, slots, selection."""

from __future__ import annotations

import json
import signal
import threading
from pathlib import Path

import pytest

from sandbox import (
    CodeCrashed,
    CpuTimeExceeded,
    JailUnavailable,
    Limits,
    MemoryLimitExceeded,
    SandboxBusy,
    SandboxSettings,
    UserException,
    WallTimeout,
    run_code,
)
from sandbox.errors import JailFailure, NonJsonOutput, OutputTooLarge
from sandbox.outcome import JailExit, build_result
from sandbox.protocol import CappedStream, ResultStream
from sandbox.seccomp import DENIED_SYSCALLS, docker_profile, kafel_policy
from sandbox.slots import jail_slot


def test_limit_defaults_match_the_design() -> None:
    limits = Limits()
    assert (limits.memory_mb, limits.cpus, limits.cpu_seconds, limits.max_processes) == (
        128,
        1.0,
        30,
        64,
    )
    assert limits.max_stdout_bytes == limits.max_stderr_bytes == 1024 * 1024


def test_limits_from_env_override_defaults() -> None:
    limits = Limits.from_env(
        {"ZZYRA_SANDBOX_MEMORY_MB": "256", "ZZYRA_SANDBOX_CPUS": "0.5", "OTHER": "x"}
    )
    assert limits.memory_mb == 256 and limits.cpus == 0.5 and limits.cpu_seconds == 30


@pytest.mark.parametrize(
    ("environ", "message"),
    [
        ({"ZZYRA_SANDBOX_MEMORY_MB": "lots"}, "ZZYRA_SANDBOX_MEMORY_MB='lots' is not a valid int"),
        ({"ZZYRA_SANDBOX_MEMORY_MB": "8"}, "memory_mb must be at least 32"),
        ({"ZZYRA_SANDBOX_WALL_TIMEOUT_SECONDS": "0"}, "wall_timeout_seconds must be positive"),
    ],
)
def test_bad_limits_are_refused_when_built(environ: dict[str, str], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        Limits.from_env(environ)


def test_unknown_backend_setting_is_refused() -> None:
    with pytest.raises(ValueError, match="ZZYRA_SANDBOX_BACKEND must be one of"):
        SandboxSettings.from_env({"ZZYRA_SANDBOX_BACKEND": "chroot"})


def test_user_errors_are_not_retryable_and_jail_errors_are() -> None:
    for user_error in (NonJsonOutput("x"), OutputTooLarge("x"), WallTimeout("x"), CodeCrashed("x")):
        assert not user_error.retryable
    for jail_error in (JailUnavailable("x"), SandboxBusy("x"), JailFailure("x")):
        assert jail_error.retryable
    error = UserException("ValueError: no", exception_type="ValueError", traceback="tb")
    assert error.to_dict() == {
        "kind": "user_exception",
        "message": "ValueError: no",
        "retryable": False,
        "exception_type": "ValueError",
        "traceback": "tb",
    }


def test_seccomp_policy_is_the_same_for_both_backends() -> None:
    policy = kafel_policy()
    assert "ptrace" in policy and "bpf" in policy and "clone3" in policy
    profile = json.loads(docker_profile())
    denied = set(profile["syscalls"][0]["names"])
    assert denied == set(DENIED_SYSCALLS)
    assert profile["defaultAction"] == "SCMP_ACT_ALLOW"


def test_capped_stream_keeps_the_head_and_says_what_it_dropped() -> None:
    stream = CappedStream(1024)
    for _ in range(10):
        stream.feed(b"a" * 1000)
    text, truncated = stream.text("stdout")
    assert truncated
    assert text.startswith("a" * 1024)
    assert "[zzyra: stdout truncated: 8976 of 10000 bytes not shown" in text


def test_result_survives_megabytes_of_prints_before_it() -> None:
    stream = ResultStream(1024, marker="m-1", max_output_bytes=2048)
    for _ in range(300):
        stream.feed(b"p" * 10_000)
    stream.feed(b'\nm-1\n{"status": "ok", "output": 7}')
    length, raw = stream.split()
    assert length == 3_000_000
    assert raw == b'{"status": "ok", "output": 7}'


def _exit(**overrides: object) -> JailExit:
    values: dict[str, object] = {
        "exit_code": None,
        "signal_number": None,
        "timed_out": False,
        "oom_killed": False,
        "cpu_seconds_used": 0.1,
        "duration_seconds": 0.5,
    }
    values.update(overrides)
    return JailExit(**values)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("jail_exit", "stderr", "expected"),
    [
        (_exit(signal_number=signal.SIGKILL, oom_killed=True), b"", MemoryLimitExceeded),
        (_exit(exit_code=134), b"FATAL ERROR: JavaScript heap out of memory", MemoryLimitExceeded),
        (_exit(signal_number=signal.SIGKILL, timed_out=True), b"", WallTimeout),
        (_exit(signal_number=signal.SIGKILL, cpu_seconds_used=30.0), b"", CpuTimeExceeded),
        (
            _exit(signal_number=signal.SIGKILL, cpu_seconds_used=None, duration_seconds=31),
            b"",
            CpuTimeExceeded,
        ),
        (_exit(signal_number=signal.SIGKILL), b"", CodeCrashed),
        (_exit(exit_code=3), b"", CodeCrashed),
    ],
)
def test_outcome_without_a_result(jail_exit: JailExit, stderr: bytes, expected: type) -> None:
    stderr_stream = CappedStream(1024)
    stderr_stream.feed(stderr)
    result = build_result(
        language="python",
        backend="test",
        limits=Limits(),
        jail_exit=jail_exit,
        stdout=ResultStream(1024, marker="m", max_output_bytes=1024),
        stderr=stderr_stream,
    )
    assert type(result.error) is expected
    assert not result.ok


def test_slots_cap_concurrent_jails_per_host(tmp_path: Path) -> None:
    settings = SandboxSettings(lock_dir=tmp_path, max_concurrent=1, slot_wait_seconds=0.2)
    with (
        jail_slot(settings),
        pytest.raises(SandboxBusy, match="all 1 jail slots"),
        jail_slot(settings),
    ):
        pass
    with jail_slot(settings) as slot:  # released again
        assert slot == 0


def test_slots_are_shared_between_threads(tmp_path: Path) -> None:
    settings = SandboxSettings(lock_dir=tmp_path, max_concurrent=2, slot_wait_seconds=5)
    held: list[int] = []
    peak = 0
    lock = threading.Lock()

    def hold() -> None:
        nonlocal peak
        with jail_slot(settings) as slot:
            with lock:
                held.append(slot)
                peak = max(peak, len(held))
            threading.Event().wait(0.05)
            with lock:
                held.remove(slot)

    threads = [threading.Thread(target=hold) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert peak <= 2


def test_no_working_backend_raises_jail_unavailable_and_never_runs_unjailed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DOCKER_HOST", f"unix://{tmp_path}/no-docker.sock")
    marker = tmp_path / "ran-unjailed"
    settings = SandboxSettings(
        backend="auto", lock_dir=tmp_path, nsjail_path=str(tmp_path / "no-nsjail")
    )
    code = f"def main(input):\n    open({str(marker)!r}, 'w').write('x')\n"
    with pytest.raises(JailUnavailable) as raised:
        run_code(language="python", code=code, settings=settings)
    assert "docker:" in raised.value.message and "nsjail:" in raised.value.message
    assert "not run" in raised.value.message
    assert raised.value.retryable
    assert not marker.exists()


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"language": "ruby", "code": ""}, "language must be one of python, javascript"),
        ({"language": "python", "code": "", "input": {1, 2}}, "input must be JSON-serialisable"),
    ],
)
def test_bad_requests_are_refused_before_any_jail(kwargs: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        run_code(**kwargs)
