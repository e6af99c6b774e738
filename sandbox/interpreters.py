"""Where the host's Python and Node live, and what a jail must see of them (read-only).

Both backends reuse the worker host's interpreters instead of shipping their own: nsjail
bind-mounts them read-only, the Docker image copies them (docker_image.py). The in-jail command
line for each language is defined here once.
"""

from __future__ import annotations

import os
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path

from .errors import JailUnavailable
from .limits import Limits

LANGUAGES = ("python", "javascript")
RUNNERS_DIR = Path(__file__).resolve().parent / "runners"
JAIL_RUNNERS_DIR = "/sandbox"
RUNNER_FILES = {"python": "python_runner.py", "javascript": "js_runner.js"}
# System directories every interpreter needs (libc, libstdc++, ...), mounted read-only.
SYSTEM_DIRECTORIES = ("/usr", "/lib", "/lib64", "/bin")


@dataclass(frozen=True)
class Interpreter:
    language: str
    executable: str  # absolute path, the same inside the jail as on the host
    prefix: str  # the installation directory to mount read-only

    def command(self, limits: Limits) -> list[str]:
        runner = f"{JAIL_RUNNERS_DIR}/{RUNNER_FILES[self.language]}"
        if self.language == "python":
            # -I: ignore PYTHON* variables and the user site; -S: no site-packages; -B: no .pyc.
            return [self.executable, "-I", "-S", "-B", runner]
        # Keep V8's heap below the cgroup limit so it fails with a clear message first.
        heap_mb = max(16, int(limits.memory_mb * 0.75))
        return [self.executable, f"--max-old-space-size={heap_mb}", "--no-warnings", runner]


def python_interpreter() -> Interpreter:
    prefix = Path(os.environ.get("ZZYRA_SANDBOX_PYTHON_PREFIX") or sys.base_prefix).resolve()
    version = f"python{sys.version_info.major}.{sys.version_info.minor}"
    executable = prefix / "bin" / version
    if not executable.is_file():
        raise JailUnavailable(f"no Python interpreter at {executable}")
    return Interpreter("python", str(executable), str(prefix))


def node_interpreter() -> Interpreter:
    found = os.environ.get("ZZYRA_SANDBOX_NODE") or shutil.which("node")
    if not found:
        raise JailUnavailable("no node executable on PATH (set ZZYRA_SANDBOX_NODE)")
    executable = Path(found).resolve()
    return Interpreter("javascript", str(executable), str(executable.parent.parent))


def interpreter_for(language: str) -> Interpreter:
    if language == "python":
        return python_interpreter()
    if language == "javascript":
        return node_interpreter()
    raise ValueError(f"language must be one of {', '.join(LANGUAGES)}, got {language!r}")
