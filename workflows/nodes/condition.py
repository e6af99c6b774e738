"""`condition`: evaluates an expression; out-edges on the `true` or `false` handle fire."""

from __future__ import annotations

from typing import Any

from workflows import templating
from workflows.nodes.base import NodeContext, NodeError, NodeType


def run(context: NodeContext) -> dict[str, bool]:
    expression = context.config["expression"]
    try:
        value = templating.evaluate(expression, context.template_context)
    except templating.TemplateProblem as problem:
        raise NodeError(f"condition {problem}") from problem
    return {"result": bool(value)}


def fired_handles(output: Any) -> frozenset[str | None]:
    # Edges without a handle follow the condition whatever its result.
    return frozenset({"true" if output["result"] else "false", None})


CONDITION = NodeType(
    name="condition",
    description="Chooses a branch: edges with sourceHandle 'true' or 'false' fire accordingly.",
    config_schema={
        "type": "object",
        "properties": {"expression": {"type": "string", "minLength": 1}},
        "required": ["expression"],
        "additionalProperties": False,
    },
    run=run,
    pure=True,
    handles=frozenset({"true", "false"}),
    expression_fields=frozenset({"expression"}),
    fired_handles=fired_handles,
)
