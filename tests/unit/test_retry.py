"""Retry scheduling: exponential, capped, jittered down, and never past the attempt budget."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from workflows.retry import InvalidRetryPolicy, RetryPolicy, next_retry_at, retry_delay

NOW = datetime(2025, 1, 1, 12, 0, tzinfo=UTC)


def seconds(value: float) -> timedelta:
    return timedelta(seconds=value)


def policy(**overrides: Any) -> RetryPolicy:
    settings: dict[str, Any] = {
        "max_attempts": 10,
        "initial_interval": seconds(1),
        "backoff_coefficient": 2.0,
        "max_interval": seconds(60),
        "jitter": 0.0,
    }
    settings.update(overrides)
    return RetryPolicy(**settings)


@pytest.mark.parametrize(
    ("settings", "attempt", "delay"),
    [
        # Exponential growth from the initial interval.
        ({}, 1, seconds(1)),
        ({}, 2, seconds(2)),
        ({}, 3, seconds(4)),
        ({}, 6, seconds(32)),
        # Capped at max_interval.
        ({}, 7, seconds(60)),
        ({}, 9, seconds(60)),
        ({"backoff_coefficient": 3.0, "initial_interval": seconds(0.5)}, 3, seconds(4.5)),
        ({"backoff_coefficient": 1.0, "initial_interval": seconds(5)}, 9, seconds(5)),
        ({"initial_interval": seconds(0)}, 5, seconds(0)),
        # Growth far beyond what a timedelta holds still lands on the cap.
        ({"backoff_coefficient": 100.0}, 8, seconds(60)),
        ({"backoff_coefficient": 1e300}, 9, seconds(60)),
        ({"backoff_coefficient": 1e300, "initial_interval": seconds(0)}, 9, seconds(0)),
    ],
)
def test_retry_delay_without_jitter(
    settings: dict[str, Any], attempt: int, delay: timedelta
) -> None:
    assert retry_delay(policy(**settings), attempt) == delay


@pytest.mark.parametrize(("attempt", "full_delay"), [(1, 1), (3, 4), (5, 16), (8, 60)])
@pytest.mark.parametrize("jitter", [0.2, 0.5, 1.0])
def test_jitter_only_shortens_the_delay_within_its_share(
    attempt: int, full_delay: float, jitter: float
) -> None:
    jittered = policy(jitter=jitter)
    rng = random.Random(1234)
    delays = [retry_delay(jittered, attempt, rng=rng) for _ in range(500)]
    lowest = seconds(full_delay) * (1 - jitter)
    assert all(lowest <= delay <= seconds(full_delay) for delay in delays)
    # It does spread the retries out: not every node retries at the same instant.
    assert len(set(delays)) > 400
    assert min(delays) < lowest + seconds(full_delay) * jitter * 0.1
    assert max(delays) > seconds(full_delay) - seconds(full_delay) * jitter * 0.1


def test_jitter_is_reproducible_with_a_seeded_random() -> None:
    jittered = policy(jitter=0.3)
    first = [retry_delay(jittered, attempt, rng=random.Random(7)) for attempt in range(1, 8)]
    again = [retry_delay(jittered, attempt, rng=random.Random(7)) for attempt in range(1, 8)]
    assert first == again


@pytest.mark.parametrize(
    ("settings", "attempt", "retryable", "due"),
    [
        ({"max_attempts": 3}, 1, True, NOW + seconds(1)),
        ({"max_attempts": 3}, 2, True, NOW + seconds(2)),
        ({"max_attempts": 3}, 3, True, None),  # every attempt spent
        ({"max_attempts": 3}, 4, True, None),
        ({"max_attempts": 3}, 1, False, None),  # retrying cannot help
        ({"max_attempts": 1}, 1, True, None),  # no retries at all
        ({"max_attempts": 10}, 9, True, NOW + seconds(60)),
        ({"max_attempts": 10}, 10, True, None),
    ],
)
def test_next_retry_at(
    settings: dict[str, Any], attempt: int, retryable: bool, due: datetime | None
) -> None:
    assert next_retry_at(policy(**settings), attempt, retryable=retryable, now=NOW) == due


def test_next_retry_at_with_jitter_is_due_within_the_jittered_window() -> None:
    jittered = policy(max_attempts=5, jitter=0.5)
    due = next_retry_at(jittered, 4, retryable=True, now=NOW, rng=random.Random(3))
    assert due is not None
    assert NOW + seconds(4) <= due <= NOW + seconds(8)


def test_the_default_policy_does_not_retry() -> None:
    assert RetryPolicy().max_attempts == 1
    assert next_retry_at(RetryPolicy(), 1, retryable=True, now=NOW) is None


@pytest.mark.parametrize(
    ("settings", "field"),
    [
        ({"max_attempts": 0}, "max_attempts"),
        ({"max_attempts": 11}, "max_attempts"),
        ({"max_attempts": -1}, "max_attempts"),
        ({"initial_interval": seconds(-1)}, "initial_interval_seconds"),
        ({"backoff_coefficient": 0.99}, "backoff_coefficient"),
        ({"backoff_coefficient": 0.0}, "backoff_coefficient"),
        ({"max_interval": seconds(0.5)}, "max_interval_seconds"),
        ({"max_interval": seconds(-5)}, "max_interval_seconds"),
        ({"jitter": -0.1}, "jitter"),
        ({"jitter": 1.1}, "jitter"),
    ],
)
def test_policy_is_validated_when_built(settings: dict[str, Any], field: str) -> None:
    with pytest.raises(InvalidRetryPolicy) as raised:
        policy(**settings)
    assert raised.value.field == field
    assert isinstance(raised.value, ValueError)


@pytest.mark.parametrize("max_attempts", [1, 10])
def test_attempt_bounds_are_inclusive(max_attempts: int) -> None:
    assert policy(max_attempts=max_attempts).max_attempts == max_attempts


def test_policy_is_frozen() -> None:
    built = policy()
    with pytest.raises(AttributeError):
        built.max_attempts = 5  # type: ignore[misc]


DEFAULT = RetryPolicy(max_attempts=3, initial_interval=seconds(2), max_interval=seconds(30))


@pytest.mark.parametrize("config", [None, {}])
def test_from_config_without_settings_is_the_node_type_default(config: Any) -> None:
    assert RetryPolicy.from_config(config, DEFAULT) is DEFAULT


def test_from_config_fills_missing_settings_from_the_default() -> None:
    built = RetryPolicy.from_config({"max_attempts": 5, "backoff_coefficient": 3}, DEFAULT)
    assert built == RetryPolicy(
        max_attempts=5,
        initial_interval=seconds(2),
        backoff_coefficient=3.0,
        max_interval=seconds(30),
        jitter=DEFAULT.jitter,
    )


def test_from_config_reads_seconds_and_round_trips() -> None:
    config = {
        "max_attempts": 4,
        "initial_interval_seconds": 0.5,
        "backoff_coefficient": 1.5,
        "max_interval_seconds": 10,
        "jitter": 0,
    }
    built = RetryPolicy.from_config(config, DEFAULT)
    assert built.initial_interval == seconds(0.5)
    assert built.max_interval == seconds(10)
    assert RetryPolicy.from_config(built.to_config(), DEFAULT) == built


@pytest.mark.parametrize(
    ("config", "field"),
    [
        ({"max_attempts": 3, "retries": 2}, "retry.retries"),
        ({"initial_interval": 1}, "retry.initial_interval"),
        ({"max_attempts": 0}, "max_attempts"),
        ({"max_attempts": "three"}, "retry"),
        ({"max_interval_seconds": None}, "retry"),
        ({"max_interval_seconds": 1e308}, "retry"),
        ({"initial_interval_seconds": 100}, "max_interval_seconds"),  # above the default cap
        (["max_attempts", 3], "retry"),
        ("3", "retry"),
    ],
)
def test_from_config_rejects_bad_settings(config: Any, field: str) -> None:
    with pytest.raises(InvalidRetryPolicy) as raised:
        RetryPolicy.from_config(config, DEFAULT)
    assert raised.value.field == field
