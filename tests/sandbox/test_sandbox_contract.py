"""The attack suite: one contract, run against every jail backend.

Each attack must be contained, end with the right kind of failure (or a harmless success that
shows the attack got nowhere), leave no process behind on the host, and leave the backend
working for the next run.
"""

from __future__ import annotations

import contextlib
import errno
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from sandbox import (
    CodeCrashed,
    CpuTimeExceeded,
    Limits,
    MemoryLimitExceeded,
    NonJsonOutput,
    OutputTooLarge,
    SandboxResult,
    SandboxSettings,
    UserException,
    WallTimeout,
    run_code,
)
from sandbox.backend import Backend

JAIL_HOST_UID = 65534
FAKE_SECRET = "zzyra-fake-secret-4f1c2a9e"
DOCKER_DEFAULT_ENV = {"PATH", "HOSTNAME", "HOME"}


def processes_of_uid(uid: int) -> list[int]:
    """Host PIDs owned by `uid` (the jail user maps to 65534 on the host)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        with contextlib.suppress(OSError):
            for line in (entry / "status").read_text().splitlines():
                if line.startswith("Uid:"):
                    if int(line.split()[1]) == uid:
                        found.append(int(entry.name))
                    break
    return found


def host_uid(uid_map: list[str], uid: int) -> int:
    """The host uid behind `uid`, from the words of /proc/self/uid_map."""
    for index in range(0, len(uid_map), 3):
        inside, outside, count = (int(word) for word in uid_map[index : index + 3])
        if inside <= uid < inside + count:
            return outside + uid - inside
    raise AssertionError(f"uid {uid} is not mapped: {uid_map}")


class TestJailContract:
    @pytest.fixture(autouse=True)
    def _setup(
        self, backend: Backend, sandbox_settings: SandboxSettings, test_limits: Limits
    ) -> Any:
        self.backend = backend
        self.settings = sandbox_settings
        self.limits = test_limits
        # Host processes already running as nobody (some daemons do) are not the jail's.
        self.nobody_before = set(processes_of_uid(JAIL_HOST_UID))
        yield
        self._assert_nothing_left_behind()
        after = self.run("python", "def main(input):\n    return input + 1\n", 41)
        assert after.ok and after.output == 42, "the backend must still work after each test"

    def run(
        self, language: str, code: str, input: Any = None, limits: Limits | None = None
    ) -> SandboxResult:
        return run_code(
            language=language,
            code=code,
            input=input,
            limits=limits or self.limits,
            settings=self.settings,
            backend=self.backend,
        )

    def _assert_nothing_left_behind(self) -> None:
        def leftovers() -> set[int]:
            return set(processes_of_uid(JAIL_HOST_UID)) - self.nobody_before

        deadline = time.monotonic() + 5
        while leftovers() and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not leftovers(), "a jailed process outlived its run"

    # -- happy paths -------------------------------------------------------------------------

    def test_python_json_in_json_out(self) -> None:
        result = self.run(
            "python",
            "def main(input):\n"
            "    print('adding', input['a'], input['b'])\n"
            "    return {'sum': input['a'] + input['b'], 'items': [1, 'two', None, True]}\n",
            {"a": 2, "b": 3},
        )
        assert result.ok, result.error
        assert result.output == {"sum": 5, "items": [1, "two", None, True]}
        assert result.stdout == "adding 2 3\n"
        assert result.backend == self.backend.name

    def test_python_async_main(self) -> None:
        code = (
            "import asyncio\n"
            "async def main(input):\n"
            "    await asyncio.sleep(0.01)\n"
            "    return [x * 2 for x in input]\n"
        )
        result = self.run("python", code, [1, 2, 3])
        assert result.ok, result.error
        assert result.output == [2, 4, 6]

    def test_javascript_async_main(self) -> None:
        code = (
            "module.exports.main = async (input) => {\n"
            "  console.log('hello from', input.name);\n"
            "  await new Promise((resolve) => setTimeout(resolve, 10));\n"
            "  return { greeting: `hi ${input.name}`, n: input.n * 2 };\n"
            "};\n"
        )
        result = self.run("javascript", code, {"name": "zzyra", "n": 21})
        assert result.ok, result.error
        assert result.output == {"greeting": "hi zzyra", "n": 42}
        assert result.stdout == "hello from zzyra\n"

    def test_javascript_exports_main(self) -> None:
        result = self.run("javascript", "exports.main = (input) => input.length;", "abcd")
        assert result.ok, result.error
        assert result.output == 4

    # -- user errors -------------------------------------------------------------------------

    def test_python_exception_gives_the_users_traceback(self) -> None:
        code = "def helper(x):\n    return 1 / x\n\ndef main(input):\n    return helper(input)\n"
        result = self.run("python", code, 0)
        assert isinstance(result.error, UserException)
        assert not result.error.retryable
        assert result.error.exception_type == "ZeroDivisionError"
        traceback = result.error.traceback
        assert 'File "user_code.py", line 5, in main' in traceback
        assert 'File "user_code.py", line 2, in helper' in traceback
        assert "return 1 / x" in traceback
        assert "runner" not in traceback and "/sandbox" not in traceback

    def test_javascript_exception_gives_the_users_stack(self) -> None:
        code = (
            "function helper() { throw new TypeError('bad thing'); }\n"
            "exports.main = async () => helper();\n"
        )
        result = self.run("javascript", code, None)
        assert isinstance(result.error, UserException)
        assert result.error.exception_type == "TypeError"
        assert "TypeError: bad thing" in result.error.message
        assert "user_code.js:1" in result.error.traceback
        assert "js_runner" not in result.error.traceback
        assert "node:internal" not in result.error.traceback

    def test_syntax_error_is_a_user_exception(self) -> None:
        result = self.run("python", "def main(input)\n    return 1\n", None)
        assert isinstance(result.error, UserException)
        assert result.error.exception_type == "SyntaxError"
        assert "user_code.py" in result.error.traceback

    @pytest.mark.parametrize(
        ("language", "code"),
        [
            ("python", "def main(input):\n    return {1, 2}\n"),
            ("python", "def main(input):\n    return float('nan')\n"),
            ("javascript", "exports.main = () => () => 1;"),
            ("javascript", "exports.main = () => ({ big: 10n });"),
        ],
    )
    def test_non_json_return_value(self, language: str, code: str) -> None:
        result = self.run(language, code, None)
        assert isinstance(result.error, NonJsonOutput), result
        assert "JSON" in result.error.message

    @pytest.mark.parametrize("language", ["python", "javascript"])
    def test_output_too_large(self, language: str) -> None:
        code = {
            "python": "def main(input):\n    return 'x' * (2 * 1024 * 1024)\n",
            "javascript": "exports.main = () => 'x'.repeat(2 * 1024 * 1024);",
        }[language]
        result = self.run(language, code, None)
        assert isinstance(result.error, OutputTooLarge)
        assert "limit is 1048576 bytes" in result.error.message

    # -- attacks -----------------------------------------------------------------------------

    def test_fork_bomb_is_capped_by_the_process_limit(self) -> None:
        code = (
            "import os, time\n"
            "def main(input):\n"
            "    started = 0\n"
            "    for _ in range(500):\n"
            "        try:\n"
            "            pid = os.fork()\n"
            "        except OSError:\n"
            "            break\n"
            "        if pid == 0:\n"
            "            time.sleep(30)\n"
            "            os._exit(0)\n"
            "        started += 1\n"
            "    return started\n"
        )
        result = self.run("python", code, None)
        assert result.ok, result.error
        assert result.output < self.limits.max_processes

    def test_real_fork_bomb_is_contained(self) -> None:
        code = (
            "import os\n"
            "def main(input):\n"
            "    while True:\n"
            "        try:\n"
            "            os.fork()\n"
            "        except OSError:\n"
            "            pass\n"
        )
        limits = Limits(cpu_seconds=3, wall_timeout_seconds=4)
        started = time.monotonic()
        result = self.run("python", code, None, limits)
        assert isinstance(result.error, WallTimeout | CpuTimeExceeded | CodeCrashed), result
        assert time.monotonic() - started < 15

    @pytest.mark.parametrize(
        ("language", "code"),
        [
            ("python", "def main(input):\n    data = b'x' * (1024 ** 3)\n    return len(data)\n"),
            ("javascript", "exports.main = () => Buffer.alloc(1024 ** 3, 1).length;"),
            (
                "javascript",
                "exports.main = () => { const a = []; while (true) a.push({x: a.length}); };",
            ),
        ],
    )
    def test_one_gigabyte_allocation_is_killed(self, language: str, code: str) -> None:
        result = self.run(language, code, None)
        assert isinstance(result.error, MemoryLimitExceeded | UserException), result
        if isinstance(result.error, UserException):
            # Python may raise MemoryError itself before the kernel steps in; also contained.
            assert result.error.exception_type in ("MemoryError", "RangeError")

    def test_infinite_loop_is_killed_for_cpu_time(self) -> None:
        # A generous wall clock, so that even a loaded CI host reaches the CPU limit first.
        limits = Limits(cpu_seconds=2, wall_timeout_seconds=30)
        code = "def main(input):\n    while True:\n        pass\n"
        result = self.run("python", code, None, limits)
        assert isinstance(result.error, CpuTimeExceeded), result
        assert "2 s of CPU time" in result.error.message
        assert not result.error.retryable

    def test_javascript_infinite_loop_is_killed(self) -> None:
        result = self.run("javascript", "exports.main = () => { for (;;) {} };", None)
        assert isinstance(result.error, CpuTimeExceeded | WallTimeout), result

    def test_sleeping_forever_hits_the_wall_clock_timeout(self) -> None:
        limits = Limits(wall_timeout_seconds=2)
        started = time.monotonic()
        result = self.run(
            "python", "import time\ndef main(input):\n    time.sleep(600)\n", None, limits
        )
        assert isinstance(result.error, WallTimeout), result
        assert time.monotonic() - started < 8

    def test_cannot_read_etc_shadow(self) -> None:
        result = self.run("python", "def main(input):\n    return open('/etc/shadow').read()\n")
        assert isinstance(result.error, UserException)
        assert result.error.exception_type in ("FileNotFoundError", "PermissionError")

    def test_cannot_see_the_workers_environment(self, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setenv("ZZYRA_FAKE_SECRET", FAKE_SECRET)
        code = (
            "import os\n"
            "def main(input):\n"
            "    found = {'environ': dict(os.environ)}\n"
            "    for pid in os.listdir('/proc'):\n"
            "        if pid.isdigit():\n"
            "            try:\n"
            "                found[pid] = open(f'/proc/{pid}/environ', 'rb').read().decode()\n"
            "            except OSError as exc:\n"
            "                found[pid] = repr(exc)\n"
            "    return found\n"
        )
        result = self.run("python", code, None)
        assert result.ok, result.error
        assert FAKE_SECRET not in repr(result.output)
        assert "1" in result.output, "PID 1 of the jail's own namespace is the runner"
        # Python sets LC_CTYPE itself; Docker always adds PATH, HOSTNAME and HOME (no secrets).
        allowed = {"LC_CTYPE"} | (DOCKER_DEFAULT_ENV if self.backend.name == "docker" else set())
        assert result.output["environ"].keys() <= allowed
        js = self.run("javascript", "exports.main = () => process.env;", None)
        assert js.ok and FAKE_SECRET not in repr(js.output)
        assert js.output.keys() <= allowed - {"LC_CTYPE"}

    @pytest.mark.parametrize("address", [("127.0.0.1", 5432), ("10.255.255.1", 9)])
    def test_no_network(self, address: tuple[str, int]) -> None:
        code = (
            "import socket, time\n"
            "def main(input):\n"
            "    started = time.monotonic()\n"
            "    s = socket.socket()\n"
            "    s.settimeout(5)\n"
            "    try:\n"
            "        s.connect((input[0], input[1]))\n"
            "    except OSError as exc:\n"
            "        return {'error': exc.errno, 'seconds': time.monotonic() - started}\n"
            "    return {'connected': True}\n"
        )
        result = self.run("python", code, list(address))
        assert result.ok, result.error
        assert "connected" not in result.output
        assert result.output["seconds"] < 1, "the connect must fail at once, not time out"

    def test_javascript_has_no_network(self) -> None:
        code = (
            "const net = require('net');\n"
            "exports.main = () => new Promise((resolve) => {\n"
            "  const s = net.connect(5432, '127.0.0.1');\n"
            "  s.on('connect', () => resolve('connected'));\n"
            "  s.on('error', (e) => resolve(e.code));\n"
            "});\n"
        )
        result = self.run("javascript", code, None)
        assert result.ok, result.error
        assert result.output in ("ENETUNREACH", "ECONNREFUSED")

    def test_cannot_write_outside_tmp(self) -> None:
        code = (
            "def main(input):\n"
            "    outcomes = {}\n"
            "    for path in ['/evil', '/usr/evil', '/bin/evil', '/sandbox/evil', '/proc/evil',\n"
            "                 '/dev/evil', '/tmp/fine']:\n"
            "        try:\n"
            "            with open(path, 'w') as f:\n"
            "                f.write('x')\n"
            "            outcomes[path] = 'written'\n"
            "        except OSError as exc:\n"
            "            outcomes[path] = type(exc).__name__\n"
            "    return outcomes\n"
        )
        result = self.run("python", code, None)
        assert result.ok, result.error
        assert result.output.pop("/tmp/fine") == "written"
        assert "written" not in result.output.values(), result.output

    def test_filling_tmp_stops_at_its_size(self) -> None:
        code = (
            "def main(input):\n"
            "    written = 0\n"
            "    chunk = b'x' * (1024 * 1024)\n"
            "    try:\n"
            "        with open('/tmp/fill', 'wb') as f:\n"
            "            while written < 1024 ** 3:\n"
            "                f.write(chunk)\n"
            "                f.flush()\n"
            "                written += len(chunk)\n"
            "    except OSError as exc:\n"
            "        return {'written': written, 'error': exc.strerror}\n"
            "    return {'written': written}\n"
        )
        result = self.run("python", code, None)
        assert result.ok, result.error
        assert result.output["error"] == "No space left on device"
        assert result.output["written"] <= self.limits.tmp_size_mb * 1024 * 1024

    @pytest.mark.parametrize("language", ["python", "javascript"])
    def test_hundred_megabytes_of_stdout_is_truncated(self, language: str) -> None:
        code = {
            "python": "import sys\ndef main(input):\n"
            "    line = 'y' * 1023 + '\\n'\n"
            "    block = line * 1024\n"
            "    for _ in range(100):\n"
            "        sys.stdout.write(block)\n"
            "    return 'done'\n",
            "javascript": "exports.main = () => {\n"
            "  const block = ('y'.repeat(1023) + '\\n').repeat(1024);\n"
            "  for (let i = 0; i < 100; i++) process.stdout.write(block);\n"
            "  return 'done';\n"
            "};\n",
        }[language]
        result = self.run(language, code, None)
        assert result.ok, result.error
        assert result.output == "done"
        assert result.stdout_truncated
        assert "[zzyra: stdout truncated: " in result.stdout
        assert len(result.stdout.encode()) < self.limits.max_stdout_bytes + 1024

    def test_stderr_is_capped_too(self) -> None:
        code = "import sys\ndef main(input):\n    sys.stderr.write('e' * 3_000_000)\n    return 1\n"
        result = self.run("python", code, None)
        assert result.ok and result.stderr_truncated
        assert "[zzyra: stderr truncated: " in result.stderr

    def test_setuid_and_ptrace_are_refused(self) -> None:
        code = (
            "import ctypes, os\n"
            "def main(input):\n"
            "    out = {'uid': os.getuid(), 'euid': os.geteuid()}\n"
            "    for name, call in [('setuid', lambda: os.setuid(0)),\n"
            "                       ('setgid', lambda: os.setgid(0))]:\n"
            "        try:\n"
            "            call()\n"
            "            out[name] = 'allowed'\n"
            "        except OSError as exc:\n"
            "            out[name] = exc.errno\n"
            "    libc = ctypes.CDLL(None, use_errno=True)\n"
            "    for name, request, pid in [('traceme', 0, 0), ('attach_init', 16, 1)]:\n"
            "        rc = libc.ptrace(request, pid, None, None)\n"
            "        out[name] = ctypes.get_errno() if rc == -1 else 'allowed'\n"
            "    out['uid_map'] = open('/proc/self/uid_map').read().split()\n"
            "    return out\n"
        )
        result = self.run("python", code, None)
        assert result.ok, result.error
        out = result.output
        assert out["uid"] == out["euid"] == JAIL_HOST_UID
        # EPERM, or EINVAL where uid/gid 0 does not even exist in the jail's user namespace
        assert out["setuid"] in (1, 22) and out["setgid"] in (1, 22)
        assert out["traceme"] == out["attach_init"] == 1  # EPERM from the seccomp filter
        assert host_uid(out["uid_map"], out["uid"]) == JAIL_HOST_UID, "non-root on the host too"

    def test_killing_the_parent_only_kills_the_jail(self) -> None:
        code = (
            "import os\n"
            "def main(input):\n"
            "    os.kill(os.getppid(), 9)\n"
            "    return ['alive', os.getppid()]\n"
        )
        result = self.run("python", code, None)
        # The runner is the jail's PID 1: it has no parent to reach (getppid() is 0), and the
        # signal to its own group cannot kill a PID 1 from inside its namespace.
        assert result.ok and result.output == ["alive", 0], result

    def test_any_exit_status_of_the_code_is_its_own_crash(self) -> None:
        # 125 was once how the nsjail launcher said it could not join its cgroup: user code
        # exiting with it became a retryable jail failure instead of the code's crash.
        result = self.run("python", "import os\ndef main(input):\n    os._exit(125)\n", None)
        assert isinstance(result.error, CodeCrashed) and "125" in str(result.error), result

    def test_kill_minus_one_only_reaches_the_jail(self) -> None:
        code = (
            "import os, time\n"
            "def main(input):\n"
            "    try:\n"
            "        os.kill(-1, 9)\n"
            "    except OSError as exc:\n"
            "        return exc.errno\n"
            "    return 'sent'\n"
        )
        result = self.run("python", code, None)
        # Alone in its PID namespace, the jail's PID 1 has nobody else to signal.
        assert result.ok and result.output == errno.ESRCH, result
        js = self.run("javascript", "exports.main = () => process.kill(-1, 'SIGKILL');", None)
        assert isinstance(js.error, UserException) and "ESRCH" in str(js.error), js

    def test_no_cross_run_leftovers_in_tmp(self) -> None:
        first = self.run("python", "def main(i):\n    open('/tmp/left', 'w').write('x')\n")
        assert first.ok, first.error
        second = self.run("python", "import os\ndef main(i):\n    return os.listdir('/tmp')\n")
        assert second.ok and second.output == []

    def test_host_cap_serialises_jails(self, tmp_path: Path) -> None:
        settings = SandboxSettings(lock_dir=tmp_path, max_concurrent=1, slot_wait_seconds=30)
        code = "import time\ndef main(input):\n    time.sleep(0.6)\n    return input\n"
        results: list[SandboxResult] = []

        def one(index: int) -> None:
            results.append(
                run_code(
                    language="python",
                    code=code,
                    input=index,
                    limits=self.limits,
                    settings=settings,
                    backend=self.backend,
                )
            )

        threads = [threading.Thread(target=one, args=(index,)) for index in range(2)]
        started = time.monotonic()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert sorted(r.output for r in results) == [0, 1]
        assert time.monotonic() - started >= 1.2, "with one slot, the second jail must wait"

    def test_the_host_sees_the_jailed_code_as_nobody(self) -> None:
        code = "import time\ndef main(input):\n    time.sleep(1.5)\n    return 'done'\n"
        results: list[SandboxResult] = []
        thread = threading.Thread(target=lambda: results.append(self.run("python", code)))
        thread.start()
        seen: set[int] = set()
        deadline = time.monotonic() + 10
        while thread.is_alive() and time.monotonic() < deadline:
            seen |= set(processes_of_uid(JAIL_HOST_UID)) - self.nobody_before
            time.sleep(0.05)
        thread.join()
        assert results and results[0].ok, results
        assert seen, "while it ran, the jailed interpreter was a host process of uid 65534"
