"""An open-loop load driver: sends on a fixed schedule, polls completions in bulk.

Open loop means the n-th start is due at `t0 + n / rate` whatever happened to earlier ones, so
a slow system faces the same arrival rate as a fast one and its queueing shows up as latency
instead of as a politely lower rate (the "coordinated omission" trap of closed-loop tools).
Latency is therefore measured from the *scheduled* send time; how late sends actually went out
is reported separately as `send_lag_ms`, and stays near zero while the sender keeps up.

A target only knows how to start one run and how to tell, for many run ids at once, which of
them finished: the driver owns timing, threads, progress lines and statistics.
"""

from __future__ import annotations

import math
import sys
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, Protocol

POLL_INTERVAL_SECONDS = 0.25
POLL_CHUNK = 5000
PROGRESS_INTERVAL_SECONDS = 5.0
MAX_ERROR_SAMPLES = 5


@dataclass(frozen=True)
class Finished:
    """A run that reached a terminal state; times are Unix epoch seconds."""

    succeeded: bool
    completed_at: float
    created_at: float | None = None  # when the system recorded the start, if it does


class Target(Protocol):
    name: str

    def send(self, index: int) -> str:
        """Start run number `index` and return its id; raise on any failure."""
        ...

    def poll(self, run_ids: Sequence[str]) -> dict[str, Finished]:
        """Those of `run_ids` that finished, each with its outcome."""
        ...


@dataclass
class LoadResult:
    target: str
    requested_rate: float
    duration_seconds: float
    scheduled: int
    started: int = 0
    send_errors: int = 0
    failed: int = 0
    unfinished: int = 0
    send_window_seconds: float = 0.0
    latencies_ms: list[float] = field(default_factory=list)
    recorded_latencies_ms: list[float] = field(default_factory=list)
    send_lags_ms: list[float] = field(default_factory=list)
    send_durations_ms: list[float] = field(default_factory=list)
    error_samples: list[str] = field(default_factory=list)
    run_ids: list[str] = field(default_factory=list)

    @property
    def errors(self) -> int:
        return self.send_errors + self.failed + self.unfinished

    def as_dict(self) -> dict[str, Any]:
        achieved = self.started / self.send_window_seconds if self.send_window_seconds else 0.0
        report: dict[str, Any] = {
            "requested_rate": self.requested_rate,
            "achieved_start_rate": round(achieved, 2),
            "duration_seconds": self.duration_seconds,
            "scheduled": self.scheduled,
            "started": self.started,
            "completed": len(self.latencies_ms),
            "errors": self.errors,
            "error_breakdown": {
                "send_errors": self.send_errors,
                "not_succeeded": self.failed,
                "unfinished_at_drain_timeout": self.unfinished,
            },
            "latency_ms": summary(self.latencies_ms),
            "send_lag_ms": summary(self.send_lags_ms, ("p50", "p99", "max")),
            "send_request_ms": summary(self.send_durations_ms, ("p50", "p95", "p99")),
        }
        if self.recorded_latencies_ms:
            report["recorded_start_latency_ms"] = summary(self.recorded_latencies_ms)
        if self.error_samples:
            report["error_samples"] = self.error_samples
        return report


def percentile(sorted_values: Sequence[float], fraction: float) -> float:
    """Nearest-rank percentile: the value at or below which `fraction` of the samples lie."""
    if not sorted_values:
        return math.nan
    rank = max(1, math.ceil(fraction * len(sorted_values)))
    return sorted_values[rank - 1]


def summary(
    values: Sequence[float], keys: Sequence[str] = ("p50", "p95", "p99", "max", "mean")
) -> dict[str, float | None]:
    ordered = sorted(values)
    found: dict[str, float | None] = {}
    for key in keys:
        if not ordered:
            found[key] = None
        elif key == "max":
            found[key] = round(ordered[-1], 1)
        elif key == "mean":
            found[key] = round(sum(ordered) / len(ordered), 1)
        else:
            found[key] = round(percentile(ordered, int(key[1:]) / 100), 1)
    return found


def progress(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


class _Run:
    """Book-keeping shared by the sender threads and the poller; every access holds `lock`."""

    def __init__(self, result: LoadResult) -> None:
        self.result = result
        self.lock = threading.Lock()
        self.in_flight: dict[str, float] = {}  # run id -> scheduled send time
        self.sent = 0
        self.finished = 0

    def record_error(self, message: str) -> None:
        with self.lock:
            self.result.send_errors += 1
            if len(self.result.error_samples) < MAX_ERROR_SAMPLES:
                self.result.error_samples.append(message)


def drive(
    target: Target,
    *,
    rate: float,
    duration_seconds: float,
    drain_timeout_seconds: float,
    sender_threads: int = 64,
    clock: Callable[[], float] = time.time,
) -> LoadResult:
    """Start `rate * duration` runs on schedule, then wait for them to finish or time out."""
    if rate <= 0 or duration_seconds <= 0:
        raise ValueError("rate and duration must be positive")
    count = round(rate * duration_seconds)
    result = LoadResult(target.name, rate, duration_seconds, scheduled=count)
    run = _Run(result)
    sending_done = threading.Event()
    stop_polling = threading.Event()
    poller = threading.Thread(
        target=_poll_loop,
        args=(target, run, sending_done, stop_polling, drain_timeout_seconds, clock),
        name=f"bench-poll-{target.name}",
        daemon=True,
    )
    start = clock() + 0.5
    last_response = [start]

    def send_one(index: int, scheduled: float) -> None:
        sent_at = clock()
        try:
            run_id = target.send(index)
        except Exception as error:
            run.record_error(f"{type(error).__name__}: {error}"[:300])
            return
        answered_at = clock()
        with run.lock:
            run.in_flight[run_id] = scheduled
            run.sent += 1
            result.started += 1
            result.run_ids.append(run_id)
            result.send_lags_ms.append((sent_at - scheduled) * 1000)
            result.send_durations_ms.append((answered_at - sent_at) * 1000)
            last_response[0] = max(last_response[0], answered_at)

    poller.start()
    pool = ThreadPoolExecutor(sender_threads, thread_name_prefix=f"bench-send-{target.name}")
    try:
        for index in range(count):
            scheduled = start + index / rate
            delay = scheduled - clock()
            if delay > 0:
                time.sleep(delay)
            pool.submit(send_one, index, scheduled)
    except BaseException:
        # Ctrl-C: drop the queued sends instead of sending them all before unwinding.
        stop_polling.set()
        pool.shutdown(wait=False, cancel_futures=True)
        raise
    pool.shutdown(wait=True)
    result.send_window_seconds = max(last_response[0] - start, 1e-9)
    sending_done.set()
    poller.join()
    stop_polling.set()
    return result


def _poll_loop(
    target: Target,
    run: _Run,
    sending_done: threading.Event,
    stop: threading.Event,
    drain_timeout_seconds: float,
    clock: Callable[[], float],
) -> None:
    """Collect finished runs in bulk until every started run finished or the drain times out."""
    result = run.result
    next_progress = clock() + PROGRESS_INTERVAL_SECONDS
    drain_deadline: float | None = None
    while not stop.is_set():
        with run.lock:
            pending = list(run.in_flight.items())
        for offset in range(0, len(pending), POLL_CHUNK):
            chunk = dict(pending[offset : offset + POLL_CHUNK])
            try:
                finished = target.poll(list(chunk))
            except Exception as error:  # a poll failure must not end the run: try again
                progress(f"[{target.name}] poll failed: {error}")
                finished = {}
            with run.lock:
                for run_id, outcome in finished.items():
                    scheduled = run.in_flight.pop(run_id, None)
                    if scheduled is None:
                        continue
                    run.finished += 1
                    if not outcome.succeeded:
                        result.failed += 1
                        continue
                    result.latencies_ms.append((outcome.completed_at - scheduled) * 1000)
                    if outcome.created_at is not None:
                        result.recorded_latencies_ms.append(
                            (outcome.completed_at - outcome.created_at) * 1000
                        )
        now = clock()
        if now >= next_progress:
            with run.lock:
                progress(
                    f"[{target.name}] sent {run.sent}/{result.scheduled} "
                    f"finished {run.finished} in flight {len(run.in_flight)} "
                    f"send errors {result.send_errors}"
                )
            next_progress = now + PROGRESS_INTERVAL_SECONDS
        if sending_done.is_set():
            if drain_deadline is None:
                drain_deadline = now + drain_timeout_seconds
            with run.lock:
                left = len(run.in_flight)
            if left == 0:
                return
            if now >= drain_deadline:
                with run.lock:
                    result.unfinished = len(run.in_flight)
                progress(f"[{target.name}] drain timeout: {result.unfinished} runs unfinished")
                return
        time.sleep(POLL_INTERVAL_SECONDS)
