"""Retry policies: how many attempts a node gets and when the next one is due.

Retries are scheduled in the ledger (`next_attempt_at`), so they survive any crash; the broker
only gets a countdown as an optimisation.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

MAX_ATTEMPTS_LIMIT = 10


class InvalidRetryPolicy(ValueError):
    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field


@dataclass(frozen=True)
class RetryPolicy:
    max_attempts: int = 1
    initial_interval: timedelta = timedelta(seconds=1)
    backoff_coefficient: float = 2.0
    max_interval: timedelta = timedelta(minutes=5)
    # Share of the delay drawn at random, so many failing nodes do not retry in lockstep.
    jitter: float = 0.2

    def __post_init__(self) -> None:
        if not 1 <= self.max_attempts <= MAX_ATTEMPTS_LIMIT:
            raise InvalidRetryPolicy("max_attempts", f"must be between 1 and {MAX_ATTEMPTS_LIMIT}")
        if self.initial_interval < timedelta(0):
            raise InvalidRetryPolicy("initial_interval_seconds", "must not be negative")
        if self.backoff_coefficient < 1:
            raise InvalidRetryPolicy("backoff_coefficient", "must be at least 1")
        if self.max_interval < self.initial_interval:
            raise InvalidRetryPolicy("max_interval_seconds", "must be >= initial_interval_seconds")
        if not 0 <= self.jitter <= 1:
            raise InvalidRetryPolicy("jitter", "must be between 0 and 1")

    @classmethod
    def from_config(cls, config: dict[str, Any] | None, default: RetryPolicy) -> RetryPolicy:
        """Build from a node's `data.retry` object; unknown keys are errors, not ignored."""
        if not config:
            return default
        if not isinstance(config, dict):
            raise InvalidRetryPolicy("retry", "must be an object")
        known = {
            "max_attempts",
            "initial_interval_seconds",
            "backoff_coefficient",
            "max_interval_seconds",
            "jitter",
        }
        unknown = sorted(set(config) - known)
        if unknown:
            raise InvalidRetryPolicy(f"retry.{unknown[0]}", "is not a known retry setting")
        try:
            return cls(
                max_attempts=int(config.get("max_attempts", default.max_attempts)),
                initial_interval=_seconds(
                    config, "initial_interval_seconds", default.initial_interval
                ),
                backoff_coefficient=float(
                    config.get("backoff_coefficient", default.backoff_coefficient)
                ),
                max_interval=_seconds(config, "max_interval_seconds", default.max_interval),
                jitter=float(config.get("jitter", default.jitter)),
            )
        except (TypeError, ValueError, OverflowError) as error:
            # OverflowError: seconds beyond what a timedelta holds (e.g. 1e308).
            if isinstance(error, InvalidRetryPolicy):
                raise
            raise InvalidRetryPolicy("retry", f"must hold numbers in range ({error})") from error

    def to_config(self) -> dict[str, Any]:
        return {
            "max_attempts": self.max_attempts,
            "initial_interval_seconds": self.initial_interval.total_seconds(),
            "backoff_coefficient": self.backoff_coefficient,
            "max_interval_seconds": self.max_interval.total_seconds(),
            "jitter": self.jitter,
        }


def _seconds(config: dict[str, Any], key: str, default: timedelta) -> timedelta:
    return timedelta(seconds=float(config[key])) if key in config else default


def retry_delay(
    policy: RetryPolicy, attempt: int, *, rng: random.Random | None = None
) -> timedelta:
    """Delay before the attempt after `attempt` (1-based): exponential, capped, jittered down."""
    # Capped in float seconds: uncapped growth (say coefficient 100 at attempt 8) does not fit
    # in a timedelta, and the float power itself can overflow.
    try:
        growth = policy.backoff_coefficient ** (attempt - 1)
    except OverflowError:
        growth = math.inf
    initial_seconds = policy.initial_interval.total_seconds()
    base_seconds = initial_seconds * growth if initial_seconds else 0.0
    if base_seconds >= policy.max_interval.total_seconds():
        capped = policy.max_interval
    else:
        capped = timedelta(seconds=base_seconds)
    draw = (rng or random).random()
    return capped * (1 - policy.jitter * draw)


def next_retry_at(
    policy: RetryPolicy,
    attempt: int,
    *,
    retryable: bool,
    now: datetime,
    rng: random.Random | None = None,
) -> datetime | None:
    """When the next attempt is due, or None when the node has failed for good."""
    if not retryable or attempt >= policy.max_attempts:
        return None
    return now + retry_delay(policy, attempt, rng=rng)
