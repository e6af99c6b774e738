"""`transform`: renders its `output` JSON (templates allowed) and returns it."""

from __future__ import annotations

from typing import Any

from workflows.nodes.base import NodeContext, NodeType


def run(context: NodeContext) -> Any:
    return context.config["output"]


TRANSFORM = NodeType(
    name="transform",
    description="Builds a JSON value from the execution input and earlier outputs.",
    config_schema={
        "type": "object",
        "properties": {"output": {}},
        "required": ["output"],
        "additionalProperties": False,
    },
    run=run,
    pure=True,
)
