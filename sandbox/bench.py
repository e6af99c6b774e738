"""`python -m sandbox bench`: how long a jail start plus a trivial run takes, per backend.

Each sample is one full `run_code` call (slot, jail creation, interpreter start, `main`,
teardown) as the engine would make it. Prints JSON: P50/P95 per backend and language, with the
design's targets (nsjail P50 < 60 ms, Docker P50 < 500 ms) so a regression is visible.
"""

from __future__ import annotations

import statistics
import time
from typing import Any

from .api import run_code
from .errors import JailUnavailable
from .limits import Limits
from .selection import make_backend
from .settings import SandboxSettings

TARGET_P50_MILLISECONDS = {"nsjail": 60.0, "docker": 500.0}
TRIVIAL_CODE = {
    "python": "def main(input):\n    return input\n",
    "javascript": "exports.main = (input) => input;",
}
WARMUP_RUNS = 3


def percentile(samples: list[float], fraction: float) -> float:
    ordered = sorted(samples)
    index = min(len(ordered) - 1, max(0, round(fraction * (len(ordered) - 1))))
    return ordered[index]


def bench_backend(name: str, runs: int, settings: SandboxSettings) -> dict[str, Any]:
    backend = make_backend(name, settings)
    try:
        backend.check()
    except JailUnavailable as exc:
        return {"backend": name, "available": False, "reason": exc.message}
    report: dict[str, Any] = {"backend": name, "available": True, "runs": runs, "languages": {}}
    limits = Limits()
    for language, code in TRIVIAL_CODE.items():
        samples = []
        for index in range(WARMUP_RUNS + runs):
            started = time.perf_counter()
            result = run_code(
                language=language,
                code=code,
                input={"n": index},
                limits=limits,
                settings=settings,
                backend=backend,
            )
            elapsed = (time.perf_counter() - started) * 1000
            if not result.ok:
                raise RuntimeError(f"{name}/{language} benchmark run failed: {result.error}")
            if index >= WARMUP_RUNS:
                samples.append(elapsed)
        report["languages"][language] = {
            "p50_ms": round(statistics.median(samples), 1),
            "p95_ms": round(percentile(samples, 0.95), 1),
            "min_ms": round(min(samples), 1),
            "max_ms": round(max(samples), 1),
        }
    target = TARGET_P50_MILLISECONDS[name]
    report["target_p50_ms"] = target
    report["python_meets_target"] = report["languages"]["python"]["p50_ms"] < target
    return report


def bench(
    runs: int, backends: list[str], settings: SandboxSettings | None = None
) -> dict[str, Any]:
    settings = settings or SandboxSettings.from_env()
    return {"results": [bench_backend(name, runs, settings) for name in backends]}
