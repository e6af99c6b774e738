"""`delay`: waits `seconds`, or until a timestamp, without holding a worker.

The wait is a timer row in the ledger (`workflow_pauses.resume_at`); the pause scan resumes it
when due, so it survives restarts of workers, beat, the broker and the database.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from workflows.nodes import waiting
from workflows.nodes.base import NodeContext, NodeType, PauseRequest, PauseRequested


def run(context: NodeContext) -> dict[str, Any]:
    config = context.config
    started = waiting.now()
    if "seconds" in config:
        due_at = started + timedelta(seconds=waiting.seconds_from(config, "seconds"))
    else:
        due_at = waiting.timestamp_from(config, "until")
    if due_at <= started:
        # Nothing to wait for (zero seconds, or a time already past): go on at once.
        return {"due_at": due_at.isoformat(), "resumed_at": started.isoformat()}
    raise PauseRequested(
        PauseRequest(
            kind="timer",
            reason=f"delay until {due_at.isoformat()}",
            context={"due_at": due_at.isoformat()},
            resume_at=due_at,
        )
    )


DELAY = NodeType(
    name="delay",
    description="Waits a number of seconds, or until a timestamp, holding no worker.",
    config_schema={
        "type": "object",
        "properties": {
            "seconds": {
                "anyOf": [
                    {"type": "number", "minimum": 0, "maximum": waiting.MAX_WAIT_SECONDS},
                    {"type": "string", "pattern": r"\{\{"},
                ]
            },
            "until": {"type": "string", "minLength": 1},
        },
        "oneOf": [{"required": ["seconds"]}, {"required": ["until"]}],
        "additionalProperties": False,
    },
    run=run,
)
