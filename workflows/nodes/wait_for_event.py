"""`wait_for_event`: waits for an event with a given key (`POST /api/events/`), holding no worker.

The event's payload is the node's output. Out-edges without a handle (or on `received`) follow
the event; an `expired` edge follows an expiry, and with no such edge an expiry fails the node.
An event posted before the wait began is kept and consumed by the first wait on its key
(pauses.services.event_post documents the rule).
"""

from __future__ import annotations

from typing import Any

from workflows.nodes import waiting
from workflows.nodes.base import NodeContext, NodeError, NodeType, PauseRequest, PauseRequested

MAX_KEY_LENGTH = 255


def run(context: NodeContext) -> Any:
    key = context.config["key"]
    if isinstance(key, bool) or not isinstance(key, str | int):
        raise NodeError(f"key must be a string, got {key!r}")
    key = str(key)
    if not key or len(key) > MAX_KEY_LENGTH:
        raise NodeError(f"key must be 1 to {MAX_KEY_LENGTH} characters, got {key!r}")
    raise PauseRequested(
        PauseRequest(
            kind="event",
            reason=f"waiting for event {key!r}",
            context={"key": key},
            expires_at=waiting.expires_at(context.config),
            event_key=key,
        )
    )


WAIT_FOR_EVENT = NodeType(
    name="wait_for_event",
    description="Waits for an event posted with a key; its payload is the output.",
    config_schema={
        "type": "object",
        "properties": {
            "key": {"type": ["string", "integer"], "minLength": 1},
            "expires_in": waiting.EXPIRES_IN_SCHEMA,
        },
        "required": ["key"],
        "additionalProperties": False,
    },
    run=run,
    handles=frozenset({"received", "expired"}),
)
