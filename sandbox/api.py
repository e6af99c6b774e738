"""`run_code`: the one entry point the engine calls.

It validates the request, takes one of the host's jail slots, and hands the job to the selected
backend. Whatever the user's code does, the answer is a `SandboxResult` (with `error` set on
failure). Only when no jail could be made at all does it raise: `JailUnavailable`,
`SandboxBusy` or `JailFailure`, all retryable, and in that case the code did not run.
"""

from __future__ import annotations

import json
from typing import Any

from .backend import Backend, Job
from .errors import JailUnavailable
from .interpreters import LANGUAGES
from .limits import Limits
from .result import SandboxResult
from .selection import forget_backend, select_backend
from .settings import SandboxSettings
from .slots import jail_slot


def run_code(
    *,
    language: str,
    code: str,
    input: Any = None,
    limits: Limits | None = None,
    settings: SandboxSettings | None = None,
    backend: Backend | None = None,
) -> SandboxResult:
    """Run `main(input)` from `code` in a jail and return its JSON output, logs and error.

    `language` is "python" (the code defines `def main(input)`, sync or async) or "javascript"
    (the code sets `module.exports.main` or `exports.main`, sync or async). `input` must be
    JSON-serialisable. `limits` defaults to `Limits.from_env()`, `settings` to
    `SandboxSettings.from_env()`; `backend` forces one backend (tests, benchmarks).
    """
    if language not in LANGUAGES:
        raise ValueError(f"language must be one of {', '.join(LANGUAGES)}, got {language!r}")
    if not isinstance(code, str):
        raise TypeError(f"code must be a str, got {type(code).__name__}")
    try:
        json.dumps(input, allow_nan=False)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"input must be JSON-serialisable: {exc}") from exc
    limits = Limits.from_env() if limits is None else limits
    settings = SandboxSettings.from_env() if settings is None else settings
    chosen = select_backend(settings) if backend is None else backend
    job = Job(language=language, code=code, input=input, limits=limits)
    with jail_slot(settings):
        try:
            return chosen.run(job)
        except JailUnavailable:
            if backend is None:
                forget_backend(settings)
            raise
