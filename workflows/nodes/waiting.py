"""Helpers shared by the node types that wait: reading due times and expiries from config."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from workflows.nodes.base import NodeError

# A wait longer than this is almost certainly a unit mistake (milliseconds for seconds).
MAX_WAIT_SECONDS = 366 * 24 * 3600

EXPIRES_IN_SCHEMA = {
    "description": "seconds until the wait expires (a number, or a template giving one)",
    "anyOf": [
        {"type": "number", "exclusiveMinimum": 0, "maximum": MAX_WAIT_SECONDS},
        {"type": "string", "pattern": r"\{\{"},
    ],
}


def now() -> datetime:
    return datetime.now(UTC)


def seconds_from(config: dict[str, Any], field: str, *, minimum: float = 0) -> float:
    value = config[field]
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise NodeError(f"{field} must be a number of seconds, got {value!r}")
    try:
        seconds = float(value)
    except ValueError:
        raise NodeError(f"{field} must be a number of seconds, got {value!r}") from None
    if not minimum <= seconds <= MAX_WAIT_SECONDS:
        raise NodeError(f"{field} must be between {minimum:g} and {MAX_WAIT_SECONDS} seconds")
    return seconds


def timestamp_from(config: dict[str, Any], field: str) -> datetime:
    value = config[field]
    if not isinstance(value, str):
        raise NodeError(f"{field} must be an ISO 8601 timestamp, got {value!r}")
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise NodeError(f"{field} must be an ISO 8601 timestamp, got {value!r}") from None
    # A timestamp without an offset is read as UTC, the server's time zone.
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def expires_at(config: dict[str, Any]) -> datetime | None:
    if config.get("expires_in") is None:
        return None
    return now() + timedelta(seconds=seconds_from(config, "expires_in", minimum=0.001))
